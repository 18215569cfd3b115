"""Holiday names in the reader's language: the library knows Kazakh and English, the catalogs add Russian."""

import re

from cabinet.messages import gettext as _
from cabinet.messages import lazy_gettext as _l

HOLIDAYS = {
    "New Year's Day": _l("New Year"),
    "Orthodox Christmas": _l("Orthodox Christmas"),
    "International Women's Day": _l("International Women's Day"),
    "Nowruz Holiday": _l("Nauryz"),
    "Kazakhstan's People Solidarity Holiday": _l("Day of Unity of the People of Kazakhstan"),
    "Defender of the Fatherland Day": _l("Defender of the Fatherland Day"),
    "Victory Day": _l("Victory Day"),
    "Eid al-Adha": _l("Kurban Ait"),
    "Capital Day": _l("Capital Day"),
    "Constitution Day": _l("Constitution Day"),
    "Republic Day": _l("Republic Day"),
    "Independence Day": _l("Independence Day"),
}


def translate(english: str | None) -> str | None:
    """The library's English name, in the current language; moved and estimated days say so."""
    if not english:
        return None
    base = re.sub(r"\s*\((observed|estimated)\)$", "", english)
    if base.startswith("Day off (substituted"):
        return _("Day off moved by a government decree")
    name = str(HOLIDAYS.get(base, base))
    if english.endswith("(observed)"):
        return _("%(name)s (moved day off)", name=name)
    if english.endswith("(estimated)"):
        return _("%(name)s (date estimated)", name=name)
    return name
