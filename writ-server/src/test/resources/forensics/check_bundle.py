# Checks a Writ evidence bundle (writ-evidence/v1) with the standard library only: the manifest lists every file with
# its SHA-256, and every denial detail opens the commitment its released record carries. (Signatures, chains, OCSP and
# Merkle proofs are standard formats; see docs/forensics.md.)
import base64, hashlib, json, sys, zipfile

z = zipfile.ZipFile(sys.argv[1])
m = json.loads(z.read('manifest.json'))
assert m['format'] == 'writ-evidence/v1', 'format'
names = set(z.namelist()) - {'manifest.json'}
assert names == set(m['files']), 'the manifest does not list exactly the files'
for n in sorted(names):
    assert 'sha256:' + hashlib.sha256(z.read(n)).hexdigest() == m['files'][n], 'altered: ' + n
openings = 0
for n in sorted(names):
    if n.endswith('.detail.json'):
        o = json.loads(z.read(n))
        jws = z.read(n[:-len('.detail.json')] + '.jws').decode('ascii')
        p = jws.split('.')[1]
        claims = json.loads(base64.urlsafe_b64decode(p + '=' * (-len(p) % 4)))
        # RFC 8785 for an object of two ASCII strings: sorted keys, no whitespace.
        opening = json.dumps({'detail': o['detail'], 'salt': o['salt']}, separators=(',', ':'), sort_keys=True)
        assert claims['detail'] == 'sha256:' + hashlib.sha256(opening.encode()).hexdigest(), 'commitment: ' + n
        openings += 1
print('ok files=%d openings=%d subject=%s' % (len(names), openings, m['subject']))
