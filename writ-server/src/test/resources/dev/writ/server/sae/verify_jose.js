// Verifies a JWS compact envelope read from stdin with the JavaScript "jose" library, using the first x5c certificate.
const jose = require(process.argv[2]);
let data = '';
process.stdin.on('data', (d) => (data += d));
process.stdin.on('end', async () => {
  const compact = data.trim();
  try {
    const h = jose.decodeProtectedHeader(compact);
    const pem = '-----BEGIN CERTIFICATE-----\n' + h.x5c[0].match(/.{1,64}/g).join('\n') + '\n-----END CERTIFICATE-----\n';
    const key = await jose.importX509(pem, h.alg);
    const { payload } = await jose.compactVerify(compact, key, { algorithms: [h.alg] });
    console.log('OK ' + h.alg + ' ' + Buffer.from(payload).toString());
  } catch (e) {
    console.log('INVALID ' + e.code);
    process.exit(1);
  }
});
