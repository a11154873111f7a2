package dev.writ.server.sae;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the external programs the tests need, installing them first when missing. */
final class Tools {
    private Tools() {}

    record Result(int exit, String out) {}

    static Path repoRoot() {
        return Path.of(System.getProperty("writ.repo.root", "."));
    }

    /** Makes sure {@code program} exists, running the repository's tool installer once if it does not. */
    static String require(String program) throws IOException, InterruptedException {
        if (!onPath(program)) {
            Process p = new ProcessBuilder(
                            repoRoot().resolve("scripts/install-test-tools").toString())
                    .inheritIO()
                    .start();
            p.waitFor(10, TimeUnit.MINUTES);
        }
        if (!onPath(program)) {
            throw new IllegalStateException(program + " is not installed");
        }
        return program;
    }

    static boolean onPath(String program) {
        if (program.startsWith("/")) {
            return Files.isExecutable(Path.of(program));
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    static Result run(List<String> command, String stdin) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(command.get(0) + " timed out");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
