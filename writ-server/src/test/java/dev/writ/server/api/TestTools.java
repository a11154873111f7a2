package dev.writ.server.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** External programs for tests (OpenSSL), installed with the repository's script when missing. */
public final class TestTools {
    private TestTools() {}

    public record Result(int exit, String out) {}

    static Path repoRoot() {
        String root = System.getProperty("writ.repo.root");
        return root != null ? Path.of(root) : Path.of("").toAbsolutePath().getParent();
    }

    public static void ensure(String program) throws IOException, InterruptedException {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return;
            }
        }
        Process p = new ProcessBuilder(
                        repoRoot().resolve("scripts/install-test-tools").toString())
                .inheritIO()
                .start();
        if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(program + " is missing and could not be installed");
        }
    }

    /** Runs a command, returning its exit code and combined output. */
    public static Result run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("timed out: " + command);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
