package dev.writ.server.policy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.json.CanonicalJson;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Signs a statement over any content, valid or not, with a real signing identity: for negative tests. */
final class StatementForge {
    private StatementForge() {}

    static String sign(PolicySigningIdentity id, BundleFiles files) throws Exception {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode header = f.objectNode();
        header.put("alg", "EdDSA");
        header.put("typ", "writ-policy+jws");
        var x5c = header.putArray("x5c");
        for (var c : id.chain()) {
            x5c.add(Base64.getEncoder().encodeToString(c.getEncoded()));
        }
        ObjectNode payload = f.objectNode();
        payload.set("bundle", BundleManifest.parse(files.get("manifest.json")).toJson());
        payload.put("hash", files.hash());
        payload.put("iat", TestPki.NOW.getEpochSecond());
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String input = b64.encodeToString(CanonicalJson.encode(header)) + "."
                + b64.encodeToString(CanonicalJson.encode(payload));
        return input + "."
                + b64.encodeToString(id.custody().sign(id.handle(), input.getBytes(StandardCharsets.US_ASCII)));
    }
}
