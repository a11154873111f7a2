package dev.writ.server.custody;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One throwaway SoftHSM2 token per test JVM, in a fresh temporary directory, created with
 * {@code scripts/softhsm-test-token}.
 *
 * <p>SoftHSM2 reads its configuration from {@code $SOFTHSM2_CONF} once, when the library is first loaded, so the
 * build points that variable at a fixed file (see the surefire configuration) and this class writes the file before
 * any test loads the library.
 */
final class SoftHsm {
    static final String PIN = "writ-test-user-pin-5803";
    static final String SO_PIN = "writ-test-so-pin-9127";
    static final String LABEL = "writ-test";

    record Token(Path library, long slot, Path dir) {}

    private static Token token;

    private SoftHsm() {}

    static synchronized Token token() throws Exception {
        if (token != null) {
            return token;
        }
        String conf = System.getenv("SOFTHSM2_CONF");
        assumeTrue(conf != null, "SOFTHSM2_CONF is not set: run the PKCS#11 tests through Maven");
        Tools.ensureInstalled("softhsm2-util");
        Path library = library();
        Path dir = Files.createTempDirectory("writ-softhsm");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
        ProcessBuilder pb = new ProcessBuilder(
                Tools.repoRoot().resolve("scripts/softhsm-test-token").toString(), dir.toString(), LABEL);
        pb.environment().put("WRIT_TOKEN_PIN", PIN);
        pb.environment().put("WRIT_TOKEN_SO_PIN", SO_PIN);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("scripts/softhsm-test-token failed");
        }
        long slot = out.lines()
                .filter(l -> l.startsWith("slot="))
                .map(l -> Long.parseLong(l.substring(5)))
                .findFirst()
                .orElseThrow();
        Path confFile = Path.of(conf);
        Files.createDirectories(confFile.getParent());
        Files.copy(dir.resolve("softhsm2.conf"), confFile, StandardCopyOption.REPLACE_EXISTING);
        token = new Token(library, slot, dir);
        return token;
    }

    static Path library() {
        for (String candidate : List.of(
                "/usr/lib/softhsm/libsofthsm2.so",
                "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
                "/usr/local/lib/softhsm/libsofthsm2.so",
                "/usr/lib64/pkcs11/libsofthsm2.so")) {
            Path p = Path.of(candidate);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalStateException("libsofthsm2.so not found");
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // best effort at exit
        }
    }
}
