"""The purposes of processing named by the policy; they are law-bound constants, not data."""

from dataclasses import dataclass

from cabinet.messages import lazy_gettext as _l


@dataclass(frozen=True)
class Purpose:
    """A purpose of processing, the clause that names it, and whether consent to it is optional."""

    code: str
    clause: str
    optional: bool
    title: str
    description: str


PURPOSES = (
    Purpose("service", "2.2.1", False, _l("Providing the service"),
            _l("We use your data to provide the operator's services to you.")),
    Purpose("identification", "2.2.2", False, _l("Identification"),
            _l("We use your data to identify you as the party to agreements and contracts.")),
    Purpose("interaction", "2.2.3", False, _l("Communication with you"),
            _l("We send you notices, requests and information about the service, and answer yours.")),
    Purpose("marketing", "2.2.4", True, _l("News and offers"),
            _l("We send you news, special offers and information about our services.")),
    Purpose("research", "2.2.5", True, _l("Statistics and research"),
            _l("We use your data, without your name, for statistical and other research.")),
    Purpose("third_party", "3.5.1", True, _l("Transfer to third parties"),
            _l("We may pass your data to third parties other than state bodies, with your consent.")),
)

BY_CODE = {p.code: p for p in PURPOSES}
OPTIONAL = tuple(p.code for p in PURPOSES if p.optional)
