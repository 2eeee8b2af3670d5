# A PKCS#12 file whose friendlyName and certificate CN hold a NUL (U+0000), made with python
# cryptography for crates/server/tests/certificates.rs: argv[1] is the output path, argv[2] the passphrase.
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

key = ed25519.Ed25519PrivateKey.generate()
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nul\x00cn")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, None))
data = pkcs12.serialize_key_and_certificates(
    b"friendly\x00name", key, cert, None,
    serialization.BestAvailableEncryption(sys.argv[2].encode()))
open(sys.argv[1], "wb").write(data)
