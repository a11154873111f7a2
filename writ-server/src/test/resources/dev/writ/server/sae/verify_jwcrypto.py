"""Verifies a JWS compact envelope read from stdin with jwcrypto.

The key is the first x5c certificate's public key, given as a PEM file (argv[1]) because pyca/cryptography refuses to
parse certificates whose extension OIDs have arcs wider than 64 bits, such as Writ's UUID arc (2.25.<uuid>).
"""
import base64
import json
import sys

from jwcrypto import jwk, jws

compact = sys.stdin.read().strip()
header = json.loads(base64.urlsafe_b64decode(compact.split(".")[0] + "=="))
with open(sys.argv[1], "rb") as f:
    key = jwk.JWK.from_pem(f.read())
token = jws.JWS()
token.allowed_algs = ["EdDSA", "ES256"]
token.deserialize(compact)
try:
    token.verify(key, alg=header["alg"])
except Exception as e:  # noqa: BLE001 - any failure is a rejection
    print("INVALID", type(e).__name__)
    sys.exit(1)
print("OK", header["alg"], token.payload.decode())
