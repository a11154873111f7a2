package dev.writ.server.custody;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Finds the external programs the tests run against, installing them with the repository's script when missing. */
final class Tools {
    private Tools() {}

    static Path repoRoot() {
        String root = System.getProperty("writ.repo.root");
        return root != null ? Path.of(root) : Path.of("").toAbsolutePath().getParent();
    }

    static boolean onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    static void ensureInstalled(String program) throws IOException, InterruptedException {
        if (onPath(program)) {
            return;
        }
        Process p = new ProcessBuilder(
                        repoRoot().resolve("scripts/install-test-tools").toString())
                .inheritIO()
                .start();
        if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0 || !onPath(program)) {
            throw new IllegalStateException(
                    program + " is missing and scripts/install-test-tools could not install it");
        }
    }
}
