package dev.writ.server.cli;

import java.io.Console;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the root passphrase: {@code --root-passphrase-file}, else {@code $WRIT_ROOT_PASSPHRASE}, else a prompt. */
final class Passphrases {
    static final String ENV = "WRIT_ROOT_PASSPHRASE";

    private Passphrases() {}

    static char[] root(Path file, boolean confirm) {
        if (file != null) {
            try {
                String s = Files.readString(file, StandardCharsets.UTF_8);
                // Strip one trailing newline, as written by echo or an editor.
                if (s.endsWith("\n")) {
                    s = s.substring(0, s.length() - 1);
                }
                if (s.endsWith("\r")) {
                    s = s.substring(0, s.length() - 1);
                }
                return s.toCharArray();
            } catch (IOException e) {
                throw CliError.usage("cannot read the root passphrase file " + file);
            }
        }
        String env = System.getenv(ENV);
        if (env != null && !env.isEmpty()) {
            return env.toCharArray();
        }
        Console console = System.console();
        if (console == null) {
            throw CliError.usage(
                    "no root passphrase: use --root-passphrase-file, set " + ENV + ", or run in a terminal");
        }
        char[] p = console.readPassword("Root CA passphrase: ");
        if (confirm) {
            char[] again = console.readPassword("Repeat the passphrase: ");
            if (!java.util.Arrays.equals(p, again)) {
                throw CliError.usage("the passphrases differ");
            }
        }
        return p;
    }
}
