package dev.writ.server.ca;

import java.nio.file.Path;

/** The repository root for tests (system property {@code writ.repo.root}, set by surefire). */
final class TestToolsAccess {
    private TestToolsAccess() {}

    static Path repoRoot() {
        String root = System.getProperty("writ.repo.root");
        return root != null ? Path.of(root) : Path.of("").toAbsolutePath().getParent();
    }
}
