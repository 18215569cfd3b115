"""The operator's CMS signer: pyHanko's, with the key parsed once and the signer's constant parts built once.

asn1crypto builds a structure around values parsed from DER about a hundred times faster than around values made
from Python objects; the signing-certificate attribute (the same for every signature by one key) is therefore made
once per key and parsed back, which took the CMS from ~13 ms to ~2 ms a signature. What is signed and its bytes are
unchanged (tests/test_signing.py compares them with pyHanko's own).
"""

import warnings

from asn1crypto import tsp
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.sign import attributes
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

with warnings.catch_warnings():  # pyHanko imports cryptography's DSA names, deprecated since cryptography 51
    warnings.filterwarnings("ignore", "DSA is deprecated")
    from pyhanko.sign import signers
    from pyhanko.sign.signers.pdf_cms import SignedAttributeProviderSpec


class _ParsedSigningCertificate(attributes.SigningCertificateV2Provider):
    """The signing-certificate-v2 attribute's value, made once and parsed back from DER."""

    def __init__(self, signing_cert):
        super().__init__(signing_cert)
        made = as_signing_certificate_v2(signing_cert)
        self.value = tsp.SigningCertificateV2.load(made.dump())

    async def build_attr_value(self, dry_run=False) -> tsp.SigningCertificateV2:
        return self.value


class _OnceParsed(SignedAttributeProviderSpec):
    """pyHanko's signed attributes, the signing-certificate one given as parsed once."""

    def __init__(self, spec: SignedAttributeProviderSpec, parsed: _ParsedSigningCertificate):
        self.spec, self.parsed = spec, parsed

    def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str):
        for provider in self.spec.signed_attr_providers(data_digest, digest_algorithm):
            same = type(provider) is attributes.SigningCertificateV2Provider \
                and provider.signing_cert.dump() == self.parsed.signing_cert.dump()
            yield self.parsed if same else provider


class KeptKeySigner(signers.SimpleSigner):
    """Signs with the key parsed once: pyHanko parses it again for every signature (~60 ms for RSA, twice)."""

    key = None
    _parsed = None

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hashing = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(data, PKCS1v15(), hashing)
        if mechanism == "ecdsa" and isinstance(self.key, ec.EllipticCurvePrivateKey):
            return self.key.sign(data, ec.ECDSA(hashing))
        return super().sign_raw(data, digest_algorithm)

    def _signed_attr_provider_spec(self, *args, **kwargs):
        if self._parsed is None:
            self._parsed = _ParsedSigningCertificate(self.signing_cert)
        return _OnceParsed(super()._signed_attr_provider_spec(*args, **kwargs), self._parsed)
