package dev.writ.server.custody;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyCustodiesTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path data;

    @Test
    void jsonRoundTripsEveryForm() throws Exception {
        for (CustodyConfig c : List.of(
                CustodyConfig.software(),
                CustodyConfig.software(Path.of("/etc/writ/master.key")),
                CustodyConfig.pkcs11(
                        Path.of("/usr/lib/softhsm/libsofthsm2.so"), 1666404581L, new PinSource.Env("WRIT_PKCS11_PIN")),
                CustodyConfig.pkcs11(Path.of("/opt/hsm/lib.so"), 0L, new PinSource.File(Path.of("/etc/writ/pin"))))) {
            String text = JSON.writeValueAsString(c.toJson());
            assertThat(CustodyConfig.fromJson(JSON.readTree(text))).isEqualTo(c);
        }
        assertThat(JSON.writeValueAsString(CustodyConfig.pkcs11(
                                Path.of("/usr/lib/softhsm/libsofthsm2.so"), 7L, PinSource.parse("env:WRIT_PKCS11_PIN"))
                        .toJson()))
                .isEqualTo("{\"kind\":\"pkcs11\",\"library\":\"/usr/lib/softhsm/libsofthsm2.so\",\"slot\":7,"
                        + "\"pin\":{\"env\":\"WRIT_PKCS11_PIN\"}}");
        assertThat(JSON.writeValueAsString(CustodyConfig.software().toJson())).isEqualTo("{\"kind\":\"software\"}");
    }

    @Test
    void jsonIsDenyByDefault() throws Exception {
        for (String bad : List.of(
                "[]",
                "{}",
                "{\"kind\":\"hsm\"}",
                "{\"kind\":\"software\",\"pin\":{\"env\":\"X\"}}",
                "{\"kind\":\"software\",\"extra\":1}",
                "{\"kind\":\"software\",\"masterKeyFile\":\"\"}",
                "{\"kind\":\"software\",\"masterKeyFile\":5}",
                "{\"kind\":\"pkcs11\",\"library\":\"/l.so\",\"slot\":1}",
                "{\"kind\":\"pkcs11\",\"library\":\"/l.so\",\"pin\":{\"env\":\"X\"}}",
                "{\"kind\":\"pkcs11\",\"slot\":1,\"pin\":{\"env\":\"X\"}}",
                "{\"kind\":\"pkcs11\",\"library\":\"/l.so\",\"slot\":-1,\"pin\":{\"env\":\"X\"}}",
                "{\"kind\":\"pkcs11\",\"library\":\"/l.so\",\"slot\":\"1\",\"pin\":{\"env\":\"X\"}}",
                "{\"kind\":\"pkcs11\",\"library\":\"/l.so\",\"slot\":1.5,\"pin\":{\"env\":\"X\"}}",
                "{\"kind\":\"pkcs11\",\"library\":\"/l.so\",\"slot\":1,\"pin\":{\"value\":\"1234\"}}",
                "{\"kind\":\"pkcs11\",\"library\":\"/l.so\",\"slot\":1,\"pin\":\"1234\"}",
                "{\"kind\":\"pkcs11\",\"library\":\"/l.so\",\"slot\":1,\"pin\":{\"env\":\"X\",\"file\":\"/p\"}}",
                "{\"kind\":\"pkcs11\",\"library\":\"/l.so\",\"slot\":1,\"pin\":{\"env\":\"NOT A NAME\"}}",
                "{\"kind\":\"pkcs11\",\"library\":\"/l.so\",\"slot\":1,\"pin\":{\"env\":\"X\"},\"tokenPin\":\"1\"}")) {
            assertThatThrownBy(() -> CustodyConfig.fromJson(JSON.readTree(bad)))
                    .as(bad)
                    .isInstanceOf(CustodyException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("1234"));
        }
        assertThatThrownBy(() -> CustodyConfig.fromJson(null)).isInstanceOf(CustodyException.class);
        assertThatThrownBy(() -> PinSource.parse("1234")).isInstanceOf(IllegalArgumentException.class);
        assertThat(PinSource.parse("file:/etc/writ/pin")).isEqualTo(new PinSource.File(Path.of("/etc/writ/pin")));
        assertThat(PinSource.parse("env:WRIT_PIN").spec()).isEqualTo("env:WRIT_PIN");
    }

    @Test
    void softwareCreateThenOpen() throws Exception {
        CustodyConfig config = CustodyConfig.software();
        KeyHandle h;
        byte[] pk;
        try (KeyCustody c = KeyCustodies.create(data, config, Map.of(), RANDOM)) {
            assertThat(c).isInstanceOf(SoftwareCustody.class);
            h = c.generate(c.defaultSpec(), "agent");
            pk = c.publicKey(h).getEncoded();
        }
        assertThat(data.resolve("master.key")).exists();
        assertThat(data.resolve("custody/keystore")).exists();
        try (KeyCustody c = KeyCustodies.open(data, config, Map.of(), RANDOM)) {
            assertThat(c.publicKey(h).getEncoded()).isEqualTo(pk);
        }
        assertThatThrownBy(() -> KeyCustodies.create(data, config, Map.of(), RANDOM))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("already exists");
    }

    @Test
    void softwareMasterKeyElsewhere() throws Exception {
        Path elsewhere = data.resolve("secrets/master.key");
        Map<String, String> env = Map.of(MasterKey.ENV_FILE, elsewhere.toString());
        try (KeyCustody c = KeyCustodies.create(data, CustodyConfig.software(), env, RANDOM)) {
            c.generate(KeySpec.ED25519, "x");
        }
        assertThat(elsewhere).exists();
        assertThat(data.resolve("master.key")).doesNotExist();
        // Without the override the keystore cannot be opened: the custody directory alone reveals nothing.
        assertThatThrownBy(() -> KeyCustodies.open(data, CustodyConfig.software(), Map.of(), RANDOM))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("master key file not found");
        KeyCustodies.open(data, CustodyConfig.software(), env, RANDOM).close();
        KeyCustodies.open(data, CustodyConfig.software(elsewhere), Map.of(), RANDOM)
                .close();
        // A different master key at the expected place is refused.
        MasterKey.create(data.resolve("master.key"), RANDOM).destroy();
        assertThatThrownBy(() -> KeyCustodies.open(data, CustodyConfig.software(), Map.of(), RANDOM))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("does not open the keystore");
    }

    @Test
    void pkcs11ThroughConfigWithPinFromFileAndEnvironment() throws Exception {
        SoftHsm.Token token = SoftHsm.token();
        Path pinFile = data.resolve("pin");
        Files.writeString(pinFile, SoftHsm.PIN + "\n");
        Files.setPosixFilePermissions(pinFile, PosixFilePermissions.fromString("rw-------"));
        CustodyConfig fromFile = CustodyConfig.pkcs11(token.library(), token.slot(), new PinSource.File(pinFile));
        KeyHandle h;
        try (KeyCustody c = KeyCustodies.create(data, fromFile, Map.of(), RANDOM)) {
            assertThat(c).isInstanceOf(Pkcs11DomainCustody.class);
            assertThat(c.defaultSpec()).isEqualTo(KeySpec.EC_P256);
            h = c.generate(c.defaultSpec(), "via config");
        }
        // No Ed25519 key was made yet: no software keystore, no master key.
        assertThat(data.resolve("custody")).doesNotExist();
        CustodyConfig fromEnv = CustodyConfig.pkcs11(token.library(), token.slot(), new PinSource.Env("WRIT_TEST_PIN"));
        try (KeyCustody c = KeyCustodies.open(data, fromEnv, Map.of("WRIT_TEST_PIN", SoftHsm.PIN), RANDOM)) {
            byte[] msg = "hello".getBytes(StandardCharsets.UTF_8);
            KeyCustodyContract.verify(KeySpec.EC_P256, c.publicKey(h), msg, c.sign(h, msg));
            c.destroy(h);
        }
    }

    @Test
    void aPkcs11DomainKeepsItsEd25519KeysInASoftwareKeystoreBesideTheToken() throws Exception {
        SoftHsm.Token token = SoftHsm.token();
        CustodyConfig config = CustodyConfig.pkcs11(token.library(), token.slot(), new PinSource.Env("WRIT_TEST_PIN"));
        Map<String, String> env = Map.of("WRIT_TEST_PIN", SoftHsm.PIN);
        byte[] msg = "checkpoint".getBytes(StandardCharsets.UTF_8);
        KeyHandle ed;
        KeyHandle ec;
        try (KeyCustody c = KeyCustodies.create(data, config, env, RANDOM)) {
            ed = c.generate(KeySpec.ED25519, "log key");
            ec = c.generate(KeySpec.EC_P256, "ca key");
            KeyCustodyContract.verify(KeySpec.ED25519, c.publicKey(ed), msg, c.sign(ed, msg));
        }
        // The Ed25519 key is sealed under the domain's master key, never in the clear; the P-256 key is on the token.
        assertThat(data.resolve("master.key")).exists();
        assertThat(data.resolve("custody").resolve("keys").resolve(ed.id() + ".key"))
                .exists();
        assertThat(data.resolve("custody").resolve("keys").resolve(ec.id() + ".key"))
                .doesNotExist();
        try (KeyCustody c = KeyCustodies.open(data, config, env, RANDOM)) {
            KeyCustodyContract.verify(KeySpec.ED25519, c.publicKey(ed), msg, c.sign(ed, msg));
            KeyCustodyContract.verify(KeySpec.EC_P256, c.publicKey(ec), msg, c.sign(ec, msg));
            // A handle goes only to the side its kind names.
            assertThatThrownBy(() -> c.sign(new KeyHandle(ec.id(), KeySpec.ED25519), msg))
                    .isInstanceOf(CustodyException.class);
            assertThatThrownBy(() -> c.sign(new KeyHandle(ed.id(), KeySpec.EC_P256), msg))
                    .isInstanceOf(CustodyException.class);
            c.destroy(ec);
            c.destroy(ed);
        }
        // Without its master key the Ed25519 keystore does not open, and neither does custody.
        Files.delete(data.resolve("master.key"));
        assertThatThrownBy(() -> KeyCustodies.open(data, config, env, RANDOM))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("master key file not found");
    }

    @Test
    void pinSourceFailuresAreClearAndSecretFree() throws Exception {
        SoftHsm.Token token = SoftHsm.token();
        Path pinFile = data.resolve("pin");
        Files.writeString(pinFile, SoftHsm.PIN);
        Files.setPosixFilePermissions(pinFile, PosixFilePermissions.fromString("rw-r--r--"));
        List<CustodyConfig> configs = List.of(
                CustodyConfig.pkcs11(token.library(), token.slot(), new PinSource.File(pinFile)),
                CustodyConfig.pkcs11(token.library(), token.slot(), new PinSource.File(data.resolve("missing"))),
                CustodyConfig.pkcs11(token.library(), token.slot(), new PinSource.Env("WRIT_UNSET_PIN")));
        List<String> expected = List.of("accessible to other users", "PIN file not found", "is not set");
        for (int i = 0; i < configs.size(); i++) {
            CustodyConfig c = configs.get(i);
            assertThatThrownBy(() -> KeyCustodies.open(data, c, Map.of(), RANDOM))
                    .isInstanceOf(CustodyException.class)
                    .hasMessageContaining(expected.get(i))
                    .satisfies(e -> assertThat(e.toString()).doesNotContain(SoftHsm.PIN));
        }
        Files.setPosixFilePermissions(pinFile, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(pinFile, "\n");
        assertThatThrownBy(() -> new PinSource.File(pinFile).read(Map.of()))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("empty");
        Files.writeString(pinFile, "wrong-pin-7781\n");
        assertThatThrownBy(() -> KeyCustodies.open(
                        data,
                        CustodyConfig.pkcs11(token.library(), token.slot(), new PinSource.File(pinFile)),
                        Map.of(),
                        RANDOM))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("CKR_PIN_INCORRECT")
                .satisfies(e -> assertThat(e.toString()).doesNotContain("wrong-pin-7781"));
    }
}
