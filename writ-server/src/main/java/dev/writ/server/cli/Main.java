package dev.writ.server.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code writ} command. */
@Command(
        name = "writ",
        mixinStandardHelpOptions = true,
        version = "writ 0.1.0",
        description = "Writ: a cryptographic trust layer for AI agents.")
public final class Main implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
