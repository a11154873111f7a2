package dev.writ.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.log.Checkpoint;
import dev.writ.core.log.LogReceipt;
import dev.writ.core.log.LogVerificationException;
import dev.writ.core.log.NoteVerifier;
import dev.writ.core.log.TileReader;
import dev.writ.core.log.TiledTree;
import dev.writ.core.log.VerifiedLogReceipt;
import dev.writ.server.log.LogException;
import dev.writ.server.log.LogReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code writ log checkpoint|entry|prove|verify}: read and verify the audit log, from a running server
 * ({@code --server URL}, over HTTP) or from the local data directory ({@code --data DIR}, read-only).
 *
 * <p>The log key is pinned with {@code --key name+hash+base64}; without it the key the log itself publishes is used,
 * which proves internal consistency but not who signed. Exit codes: 0 verified, 1 verification failed, 2 usage or
 * input error.
 */
@Command(
        name = "log",
        description = "Read and verify the audit log.",
        mixinStandardHelpOptions = true,
        subcommands = {
            LogCommand.CheckpointCmd.class,
            LogCommand.EntryCmd.class,
            LogCommand.ProveCmd.class,
            LogCommand.VerifyCmd.class
        })
public final class LogCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    GlobalOptions global;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }

    /** An input or transport problem: exit code 2. */
    static final class InputException extends Exception {
        private static final long serialVersionUID = 1L;

        InputException(String message) {
            super(message);
        }
    }

    /** Where the log is read from. */
    interface Source extends AutoCloseable {
        NoteVerifier key();

        byte[] checkpoint() throws Exception;

        byte[] entry(long index) throws Exception;

        /** A receipt for the entry at {@code index} (or with {@code jti}) in the current tree. */
        LogReceipt prove(Long index, String jti) throws Exception;

        TileReader tiles();

        /** Full audit of the current tree; returns the number of entries checked. */
        long audit(Checkpoint cp) throws Exception;

        @Override
        default void close() throws Exception {}
    }

    abstract static class Base implements Callable<Integer> {
        @Mixin
        GlobalOptions global;

        @Option(names = "--key", paramLabel = "KEY", description = "Pin the log verifier key (name+hash+base64).")
        String key;

        @Spec
        CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        @Override
        public Integer call() {
            try (Source source = open()) {
                return run(source);
            } catch (InputException | IllegalArgumentException | IOException e) {
                return fail(ExitCodes.USAGE, "input", e.getMessage());
            } catch (LogVerificationException e) {
                return fail(ExitCodes.FALSE, e.code(), e.getMessage());
            } catch (LogException e) {
                int code = e.code().equals("log.corrupt") ? ExitCodes.FALSE : ExitCodes.USAGE;
                return fail(code, e.code(), e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return fail(ExitCodes.USAGE, "interrupted", "interrupted");
            } catch (Exception e) {
                return fail(ExitCodes.USAGE, "error", String.valueOf(e.getMessage()));
            }
        }

        int fail(int exit, String code, String message) {
            if (global.json()) {
                ObjectNode o = JSON.createObjectNode();
                o.put("valid", false);
                o.putObject("error").put("code", code).put("message", message);
                out().println(o);
            } else {
                err().println("writ log: " + message + " (" + code + ")");
            }
            out().flush();
            err().flush();
            return exit;
        }

        abstract int run(Source source) throws Exception;

        Source open() throws Exception {
            String server = global.serverUrl();
            if (server != null) {
                return new HttpSource(server, key);
            }
            Path dir = global.dataDir().resolve("log");
            if (!Files.isDirectory(dir)) {
                throw new InputException("no audit log in " + dir);
            }
            NoteVerifier v = NoteVerifier.parse(key != null ? key : LogReader.storedKey(dir));
            return new LocalSource(LogReader.open(dir, v), v);
        }

        void print(ObjectNode json, String human) {
            out().println(global.json() ? json.toString() : human);
            out().flush();
        }
    }

    @Command(name = "checkpoint", description = "Show the log's latest signed checkpoint, verified.")
    static final class CheckpointCmd extends Base {
        @Override
        int run(Source s) throws Exception {
            byte[] note = s.checkpoint();
            Checkpoint cp = Checkpoint.verify(note, s.key()).checkpoint();
            ObjectNode o = JSON.createObjectNode();
            o.put("origin", cp.origin());
            o.put("size", cp.size());
            o.put("root", Base64.getEncoder().encodeToString(cp.rootHash()));
            o.put("key", s.key().keyString());
            o.put("checkpoint", new String(note, StandardCharsets.UTF_8));
            print(o, new String(note, StandardCharsets.UTF_8).stripTrailing());
            return ExitCodes.OK;
        }
    }

    @Command(name = "entry", description = "Print the entry at an index.")
    static final class EntryCmd extends Base {
        @Parameters(index = "0", paramLabel = "INDEX")
        long index;

        @Override
        int run(Source s) throws Exception {
            if (index < 0) {
                throw new InputException("index must not be negative");
            }
            byte[] e = s.entry(index);
            ObjectNode o = JSON.createObjectNode();
            o.put("index", index);
            o.put("entry", Base64.getEncoder().encodeToString(e));
            try {
                JsonNode j = JSON.readTree(e);
                if (j != null && j.isObject()) {
                    o.set("json", j);
                }
            } catch (IOException notJson) {
                // printed as base64 only
            }
            print(o, new String(e, StandardCharsets.UTF_8));
            return ExitCodes.OK;
        }
    }

    @Command(name = "prove", description = "Print a verified receipt (inclusion proof and checkpoint) for an entry.")
    static final class ProveCmd extends Base {
        @Parameters(index = "0", arity = "0..1", paramLabel = "INDEX")
        Long index;

        @Option(names = "--jti", paramLabel = "JTI", description = "Find the entry by its jti.")
        String jti;

        @Override
        int run(Source s) throws Exception {
            if ((index == null) == (jti == null)) {
                throw new InputException("give exactly one of INDEX and --jti");
            }
            LogReceipt r = s.prove(index, jti);
            VerifiedLogReceipt v = r.verify(s.entry(r.index()), s.key());
            ObjectNode o = r.toJson();
            print(
                    o,
                    "entry " + v.index() + " is included in " + v.checkpoint().checkpoint() + "\n"
                            + o.toPrettyString());
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "verify",
            description = "Verify a receipt file (with --entry or the entry from the log), or audit the whole log "
                    + "from its tiles against its signed checkpoint.")
    static final class VerifyCmd extends Base {
        @Parameters(index = "0", arity = "0..1", paramLabel = "RECEIPT", description = "Receipt JSON file.")
        Path receipt;

        @Option(names = "--entry", paramLabel = "FILE", description = "The exact entry bytes the receipt is for.")
        Path entry;

        @Option(
                names = "--checkpoint",
                paramLabel = "FILE",
                description = "A signed checkpoint seen earlier: the log must still contain exactly that tree.")
        Path earlier;

        @Override
        int run(Source s) throws Exception {
            if (receipt == null) {
                if (entry != null) {
                    throw new InputException("--entry needs a RECEIPT");
                }
                Checkpoint cp = Checkpoint.verify(s.checkpoint(), s.key()).checkpoint();
                long n = s.audit(cp);
                ObjectNode o = JSON.createObjectNode();
                if (earlier != null) {
                    Checkpoint old =
                            Checkpoint.verify(readInput(earlier), s.key()).checkpoint();
                    // The log may only have grown: the earlier tree must be a prefix of the audited one.
                    if (old.size() > cp.size()
                            || !java.security.MessageDigest.isEqual(
                                    TiledTree.rootHash(old.size(), s.tiles()), old.rootHash())) {
                        throw new LogVerificationException(
                                "log.inconsistent", "the log no longer contains the tree of the earlier checkpoint");
                    }
                    o.put("consistentWith", old.size());
                }
                o.put("valid", true);
                o.put("origin", cp.origin());
                o.put("size", n);
                o.put("root", Base64.getEncoder().encodeToString(cp.rootHash()));
                print(o, "log verified: " + n + " entries, every tile and entry matches " + cp);
                return ExitCodes.OK;
            }
            JsonNode json;
            try {
                json = JSON.readTree(Files.readAllBytes(receipt));
            } catch (IOException e) {
                throw new InputException("cannot read receipt " + receipt);
            }
            LogReceipt r = LogReceipt.fromJson(json);
            byte[] bytes;
            if (entry != null) {
                bytes = Files.readAllBytes(entry);
            } else if (json.path("entry").isTextual()) {
                bytes = Base64.getDecoder().decode(json.get("entry").asText());
            } else {
                bytes = s.entry(r.index());
            }
            VerifiedLogReceipt v = r.verify(bytes, s.key());
            ObjectNode o = JSON.createObjectNode();
            o.put("valid", true);
            o.put("index", v.index());
            o.put("size", v.checkpoint().checkpoint().size());
            o.put("origin", v.checkpoint().checkpoint().origin());
            print(
                    o,
                    "receipt verified: entry " + v.index() + " is in "
                            + v.checkpoint().checkpoint());
            return ExitCodes.OK;
        }
    }

    static byte[] readInput(Path p) throws InputException {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new InputException("cannot read " + p);
        }
    }

    static final class LocalSource implements Source {
        private final LogReader reader;
        private final NoteVerifier key;

        LocalSource(LogReader reader, NoteVerifier key) {
            this.reader = reader;
            this.key = key;
        }

        @Override
        public NoteVerifier key() {
            return key;
        }

        @Override
        public byte[] checkpoint() {
            return reader.signedCheckpoint();
        }

        @Override
        public byte[] entry(long index) throws LogException {
            return reader.entry(index);
        }

        @Override
        public LogReceipt prove(Long index, String jti) throws Exception {
            long i;
            if (jti != null) {
                i = reader.indexOfJti(jti)
                        .orElseThrow(() -> new LogException("log.not_found", "no entry has this jti"));
            } else {
                i = index;
            }
            return new LogReceipt(i, reader.inclusionProof(i, reader.size()), reader.signedCheckpoint());
        }

        @Override
        public TileReader tiles() {
            return reader::tile;
        }

        @Override
        public long audit(Checkpoint cp) throws LogException {
            return reader.audit();
        }

        @Override
        public void close() throws IOException {
            reader.close();
        }
    }

    static final class HttpSource implements Source {
        private final HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        private final String base;
        private final NoteVerifier key;

        HttpSource(String server, String pinned) throws Exception {
            this.base = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
            this.key = NoteVerifier.parse(
                    pinned != null ? pinned : new String(get("/log/key"), StandardCharsets.UTF_8).trim());
        }

        byte[] get(String path) throws IOException, InterruptedException, InputException {
            HttpResponse<byte[]> r;
            try {
                r = http.send(
                        HttpRequest.newBuilder(URI.create(base + path))
                                .timeout(Duration.ofSeconds(30))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
            } catch (IllegalArgumentException e) {
                throw new InputException("bad server URL " + base);
            }
            if (r.statusCode() != 200) {
                String msg = "GET " + path + " returned " + r.statusCode();
                try {
                    msg += ": "
                            + JSON.readTree(r.body())
                                    .path("error")
                                    .path("message")
                                    .asText();
                } catch (IOException ignored) {
                    // not a JSON error body
                }
                throw new InputException(msg);
            }
            return r.body();
        }

        @Override
        public NoteVerifier key() {
            return key;
        }

        @Override
        public byte[] checkpoint() throws Exception {
            return get("/log/checkpoint");
        }

        @Override
        public byte[] entry(long index) throws Exception {
            JsonNode j = JSON.readTree(get("/v1/log/entries/" + index));
            return Base64.getDecoder().decode(j.path("entry").asText());
        }

        @Override
        public LogReceipt prove(Long index, String jti) throws Exception {
            String q = jti != null ? "jti=" + URLEncoder.encode(jti, StandardCharsets.UTF_8) : "index=" + index;
            JsonNode j = JSON.readTree(get("/v1/log/proof/inclusion?" + q));
            return LogReceipt.fromJson(j);
        }

        @Override
        public TileReader tiles() {
            return p -> {
                try {
                    return get("/log/" + p.path());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                } catch (InputException e) {
                    throw new IOException(e.getMessage());
                }
            };
        }

        @Override
        public long audit(Checkpoint cp) throws Exception {
            return TiledTree.auditLog(cp.size(), cp.rootHash(), tiles());
        }
    }

    /** Runs {@code writ log ...} standalone. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new LogCommand()).execute(args));
    }
}
