package dev.writ.server.cli;

import java.io.PrintWriter;
import java.time.InstantSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code writ} command. Every failure a user can cause ends in one line on stderr and exit code 1
 * or 2 (see {@link ExitCodes}); unexpected failures print one line too, with the exception type, never a stack trace.
 */
@Command(
        name = "writ",
        mixinStandardHelpOptions = true,
        version = "writ 0.1.0",
        description = "Writ: a cryptographic trust layer for AI agents.",
        subcommands = {
            InitCommand.class,
            ServeCommand.class,
            AgentCommand.class,
            CaCommand.class,
            TokenCommand.class,
            LogCommand.class,
            VerifyCommand.class,
            AuthorizeCommand.class,
            ApprovalsCommand.class,
            GatewayCommand.class,
            DemoCommand.class,
            ForensicCommand.class,
            BundleCommand.class
        })
public final class Main implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Builds the command line with Writ's error handling; {@link #main} executes it. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        // The policy command needs the trust domain's signing identity, which picocli cannot construct on its own.
        cl.addSubcommand("policy", new PolicyCommand(new DomainPolicyWiring(), InstantSource.system()));
        // "@file" is ours (e.g. --scope @scope.json), not picocli's argument-file expansion.
        cl.setExpandAtFiles(false);
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("writ: " + ex.getMessage());
            err.flush();
            return ExitCodes.USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (ex instanceof CliError e) {
                err.println("writ: " + e.getMessage());
                err.flush();
                return e.exitCode();
            }
            err.println("writ: internal error (" + ex.getClass().getSimpleName() + ")");
            err.flush();
            return 1;
        });
        return cl;
    }

    /** Runs a command and returns its exit code (for tests and embedding). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }
}
