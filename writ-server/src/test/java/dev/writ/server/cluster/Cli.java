package dev.writ.server.cluster;

import dev.writ.server.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/** Runs a {@code writ} command in this JVM and captures what it prints. */
final class Cli {
    private Cli() {}

    record Run(int exit, String out, String err) {}

    static synchronized Run writ(String... args) {
        PrintStream stdout = System.out;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        PrintWriter err = new PrintWriter(e, true, StandardCharsets.UTF_8);
        PrintWriter out = new PrintWriter(o, true, StandardCharsets.UTF_8);
        int code;
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            code = Main.commandLine().setOut(out).setErr(err).execute(args);
        } finally {
            System.setOut(stdout);
        }
        out.flush();
        err.flush();
        return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }
}
