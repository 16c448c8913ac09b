"""Electronic seals on decision documents: PAdES signatures (pyHanko) with ECDSA P-256, one key and
self-signed certificate per authority, behind a provider interface so an SM2 seal can be plugged in."""

import datetime as dt
import io
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass
class SealCheck:
    signed: bool
    intact: bool
    trusted: bool
    signer: str
    whole_file: bool

    @property
    def ok(self) -> bool:
        return self.signed and self.intact and self.trusted and self.whole_file

    def describe(self) -> str:
        if not self.signed:
            return "未加盖电子印章"
        if not self.intact:
            return f"签章无效:文件在签章后被修改({self.signer})"
        if not self.trusted:
            return f"签章证书不受信任({self.signer})"
        if not self.whole_file:
            return f"签章未覆盖整个文件,签章后有追加内容({self.signer})"
        return f"签章有效:{self.signer}"


class SealProvider(Protocol):
    def sign(self, pdf: bytes, department) -> bytes: ...

    def verify(self, pdf: bytes) -> SealCheck: ...


def provider() -> SealProvider:
    return import_string(getattr(settings, "SEAL_PROVIDER", "tongban.workflow.seal.PadesEcdsaProvider"))()


def _fernet():
    from tongban.core.keys import fernet

    return fernet("SEAL_KEY_ENCRYPTION_KEY")


def ensure_seal(department):
    """The authority's seal, created with a new key and certificate the first time (on setup)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from .models import BureauSeal

    existing = BureauSeal.objects.filter(department=department).first()
    if existing:
        return existing
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, department.name),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, department.credit_code),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{department.name}审批专用章"),
    ])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    from django.db import IntegrityError, transaction

    try:
        with transaction.atomic():  # two first decisions at once: one seal is made, the other uses it
            return BureauSeal.objects.create(
                department=department, cert_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
                key_encrypted=_fernet().encrypt(key_pem).decode(),
            )
    except IntegrityError:
        return BureauSeal.objects.get(department=department)


def _asn1_cert(pem_text: str):
    from asn1crypto import pem
    from asn1crypto import x509 as ax509

    _, _, der = pem.unarmor(pem_text.encode())
    return ax509.Certificate.load(der)


_signers: dict = {}  # per process: department id → (certificate PEM, signer); building one costs more than a signature


def _signer(department):
    from pyhanko.keys import load_private_key_from_pemder_data
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    seal = ensure_seal(department)
    cached = _signers.get(department.pk)
    if cached is None or cached[0] != seal.cert_pem:  # a renewed seal replaces the cached signer
        cert = _asn1_cert(seal.cert_pem)
        key = load_private_key_from_pemder_data(_fernet().decrypt(seal.key_encrypted.encode()), passphrase=None)
        cached = _signers[department.pk] = (seal.cert_pem, signers.SimpleSigner(
            signing_cert=cert, signing_key=key, cert_registry=SimpleCertificateStore.from_certs([cert])))
    return cached[1]


class PadesEcdsaProvider:
    def sign(self, pdf: bytes, department) -> bytes:
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers

        meta = signers.PdfSignatureMetadata(field_name="BureauSeal", subfilter=fields.SigSeedSubFilter.PADES,
                                            md_algorithm="sha256", reason="行政许可决定", location=department.region.name)
        # bytes_reserved: room for the CMS given up front, so pyHanko skips its trial signature to size it
        return signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=_signer(department),
                                bytes_reserved=8192).getvalue()

    def verify(self, pdf: bytes) -> SealCheck:
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
        from pyhanko_certvalidator import ValidationContext

        from .models import BureauSeal

        try:
            signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
        except Exception:  # noqa: BLE001 - an unreadable file carries no valid seal
            return SealCheck(False, False, False, "", False)
        if not signatures:
            return SealCheck(False, False, False, "", False)
        roots = [_asn1_cert(s.cert_pem) for s in BureauSeal.objects.all()]
        sig = signatures[-1]
        status = validate_pdf_signature(sig, ValidationContext(trust_roots=roots))
        signer = sig.signer_cert.subject.native.get("common_name", "")
        return SealCheck(True, bool(status.intact and status.valid), bool(status.trusted), signer,
                         status.coverage == SignatureCoverageLevel.ENTIRE_FILE)
