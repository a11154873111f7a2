package dev.writ.server.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Options every {@code writ} command accepts: the data directory, the server to talk to, and machine-readable output.
 * Mixed into each command with {@code @Mixin GlobalOptions global;}.
 */
public final class GlobalOptions {
    @Option(
            names = "--data",
            paramLabel = "DIR",
            description = "Data directory (default: $WRIT_DATA, else ./writ-data).")
    private Path data;

    @Option(
            names = "--server",
            paramLabel = "URL",
            description = "URL of a running Writ server, for commands that talk to one (default: $WRIT_SERVER).")
    private String server;

    @Option(names = "--json", description = "Machine-readable JSON output.")
    private boolean json;

    /** The data directory: {@code --data}, else {@code $WRIT_DATA}, else {@code ./writ-data}. */
    public Path dataDir() {
        if (data != null) {
            return data;
        }
        String env = System.getenv("WRIT_DATA");
        return Path.of(env != null && !env.isBlank() ? env : "writ-data");
    }

    /** The server URL: {@code --server}, else {@code $WRIT_SERVER}, else {@code null}. */
    public String serverUrl() {
        if (server != null) {
            return server;
        }
        String env = System.getenv("WRIT_SERVER");
        return env != null && !env.isBlank() ? env : null;
    }

    /** Whether {@code --json} was given. */
    public boolean json() {
        return json;
    }
}
