package dev.writ.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import picocli.CommandLine.Option;

/**
 * A node's backend and listener settings, from flags, environment variables and a config file, in that order of
 * precedence (flags > environment > file > defaults).
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>file key</th><th>flag</th><th>environment</th><th>default</th></tr>
 *   <tr><td>{@code db}</td><td>{@code --db}</td><td>{@code WRIT_DB}</td><td>none: SQLite in the data directory</td></tr>
 *   <tr><td>{@code db-password-file}</td><td>{@code --db-password-file}</td><td>{@code WRIT_DB_PASSWORD_FILE}, or the
 *       value in {@code WRIT_DB_PASSWORD}</td><td>none</td></tr>
 *   <tr><td>{@code db-pool-size}</td><td>{@code --db-pool-size}</td><td>{@code WRIT_DB_POOL_SIZE}</td><td>10</td></tr>
 *   <tr><td>{@code redis}</td><td>{@code --redis}</td><td>{@code WRIT_REDIS}</td><td>none</td></tr>
 *   <tr><td>{@code redis-password-file}</td><td>{@code --redis-password-file}</td><td>{@code WRIT_REDIS_PASSWORD_FILE},
 *       or the value in {@code WRIT_REDIS_PASSWORD}</td><td>none</td></tr>
 *   <tr><td>{@code host}</td><td>{@code --host}</td><td>{@code WRIT_HOST}</td><td>127.0.0.1</td></tr>
 *   <tr><td>{@code port}</td><td>{@code --port}</td><td>{@code WRIT_PORT}</td><td>7070</td></tr>
 *   <tr><td>{@code public-url}</td><td>{@code --public-url}</td><td>{@code WRIT_PUBLIC_URL}</td><td>the one given to
 *       {@code writ init}</td></tr>
 * </table>
 *
 * <p>The config file is {@code --config FILE} or {@code $WRIT_CONFIG}: a YAML (or JSON) mapping of the keys above.
 * An unknown key is refused, so a misspelt setting never silently falls back to a default.
 *
 * <p>Passwords never appear on the command line: a {@code --db} or {@code --redis} URI carrying one is refused (it
 * would be visible to every user of the machine in the process list); they come from a file or the environment, and
 * {@link #toString} and every message leave them out.
 */
public final class NodeConfig {
    private static final List<String> KEYS = List.of(
            "db", "db-password-file", "db-pool-size", "redis", "redis-password-file", "host", "port", "public-url");

    /** The flags, mixed into {@code writ serve}, {@code writ init} and {@code writ gateway}. */
    public static final class Flags {
        @Option(
                names = "--config",
                paramLabel = "FILE",
                description = "Config file (YAML) with the keys db, db-password-file, db-pool-size, redis,"
                        + " redis-password-file, host, port, public-url (default: $WRIT_CONFIG).")
        Path config;

        @Option(
                names = "--db",
                paramLabel = "URI",
                description = "PostgreSQL for the trust domain's state, postgresql://user@host:port/database"
                        + " (password from --db-password-file or $WRIT_DB_PASSWORD; default: $WRIT_DB, else SQLite in"
                        + " the data directory).")
        String db;

        @Option(
                names = "--db-password-file",
                paramLabel = "FILE",
                description = "File with the PostgreSQL password (default: $WRIT_DB_PASSWORD_FILE).")
        Path dbPasswordFile;

        @Option(
                names = "--db-pool-size",
                paramLabel = "N",
                description = "PostgreSQL connections per node (default: $WRIT_DB_POOL_SIZE, else 10).")
        Integer dbPoolSize;

        @Option(
                names = "--redis",
                paramLabel = "URI",
                description = "Redis for replay nonces and revocation fan-out between nodes, redis://host:port"
                        + " (password from --redis-password-file or $WRIT_REDIS_PASSWORD; default: $WRIT_REDIS).")
        String redis;

        @Option(
                names = "--redis-password-file",
                paramLabel = "FILE",
                description = "File with the Redis password (default: $WRIT_REDIS_PASSWORD_FILE).")
        Path redisPasswordFile;

        Map<String, String> given() {
            Map<String, String> m = new LinkedHashMap<>();
            put(m, "db", db);
            put(m, "db-password-file", dbPasswordFile);
            put(m, "db-pool-size", dbPoolSize);
            put(m, "redis", redis);
            put(m, "redis-password-file", redisPasswordFile);
            return m;
        }
    }

    private final Map<String, String> values;
    private final Map<String, String> env;

    private NodeConfig(Map<String, String> values, Map<String, String> env) {
        this.values = values;
        this.env = env;
    }

    private static void put(Map<String, String> m, String key, Object value) {
        if (value != null) {
            m.put(key, value.toString());
        }
    }

    /**
     * Resolves the settings.
     *
     * @param flags the backend flags
     * @param listener {@code host}, {@code port}, {@code public-url} given as flags (null values: not given)
     * @param env the environment
     * @throws CliError (usage) for an unreadable or malformed config file, an unknown key, a password on the command
     *     line, or a malformed value
     */
    public static NodeConfig resolve(Flags flags, Map<String, Object> listener, Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        Map<String, String> values = new LinkedHashMap<>();
        values.put("host", "127.0.0.1");
        values.put("port", "7070");
        values.put("db-pool-size", "10");
        Path file = flags.config != null
                ? flags.config
                : blankToNull(env.get("WRIT_CONFIG")) == null ? null : Path.of(env.get("WRIT_CONFIG"));
        if (file != null) {
            values.putAll(readFile(file));
        }
        for (String key : KEYS) {
            String envName = "WRIT_" + key.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
            String v = blankToNull(env.get(envName));
            if (v != null) {
                values.put(key, v);
            }
        }
        Map<String, String> given = flags.given();
        if (listener != null) {
            listener.forEach((k, v) -> put(given, k, v));
        }
        // Visible in the process list to every local user: a password is never accepted there.
        for (String key : List.of("db", "redis")) {
            if (given.containsKey(key) && hasPassword(given.get(key))) {
                throw CliError.usage("--" + key + " must not carry a password (visible in the process list); use --"
                        + key + "-password-file or $WRIT_" + key.toUpperCase(java.util.Locale.ROOT) + "_PASSWORD");
            }
        }
        values.putAll(given);
        NodeConfig c = new NodeConfig(values, env);
        c.port();
        c.poolSize();
        if (c.db() != null && !(c.db().startsWith("postgresql://") || c.db().startsWith("postgres://"))) {
            throw CliError.usage("--db must be a postgresql:// URI");
        }
        if (c.redis() != null && !(c.redis().startsWith("redis://") || c.redis().startsWith("rediss://"))) {
            throw CliError.usage("--redis must be a redis:// or rediss:// URI");
        }
        return c;
    }

    private static Map<String, String> readFile(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw CliError.usage("config file " + file + " does not exist");
        } catch (IOException e) {
            // The parser's message may quote the file's content, which may hold a password: not repeated.
            throw CliError.usage("config file " + file + " is not valid YAML");
        }
        Map<String, String> out = new LinkedHashMap<>();
        if (root == null || root.isMissingNode() || root.isNull()) {
            return out;
        }
        if (!root.isObject()) {
            throw CliError.usage("config file " + file + " must be a mapping of settings");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            // A misspelt key would otherwise fall back to a default without anyone noticing.
            if (!KEYS.contains(e.getKey())) {
                throw CliError.usage("config file " + file + ": unknown key " + e.getKey() + " (known: "
                        + String.join(", ", KEYS) + ")");
            }
            if (!e.getValue().isValueNode()) {
                throw CliError.usage("config file " + file + ": " + e.getKey() + " must be a single value");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    private static boolean hasPassword(String uri) {
        try {
            String info = new URI(uri.strip()).getRawUserInfo();
            return info != null && info.contains(":");
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /** The PostgreSQL URI as given (null: SQLite in the data directory). */
    public String db() {
        return values.get("db");
    }

    /** The Redis URI as given, or null. */
    public String redis() {
        return values.get("redis");
    }

    public String host() {
        return values.get("host");
    }

    public int port() {
        return intValue("port", 0, 65535);
    }

    public int poolSize() {
        return intValue("db-pool-size", 1, 1000);
    }

    /** The public URL for new certificates, or null. */
    public String publicUrl() {
        return values.get("public-url");
    }

    private int intValue(String key, int min, int max) {
        String v = values.get(key);
        try {
            int n = Integer.parseInt(v.strip());
            if (n < min || n > max) {
                throw CliError.usage(key + " must be between " + min + " and " + max);
            }
            return n;
        } catch (NumberFormatException e) {
            throw CliError.usage(key + " must be a number");
        }
    }

    /**
     * The PostgreSQL location with the password from the password file or environment inserted, for
     * {@code PostgresStore.open}. Never print it.
     *
     * @throws CliError (usage) when the password file cannot be read
     */
    String dbLocationWithPassword() {
        String password = password("db-password-file", "WRIT_DB_PASSWORD");
        return withPassword(db(), password);
    }

    /** The Redis URI with the password inserted. Never print it. */
    String redisLocationWithPassword() {
        String password = password("redis-password-file", "WRIT_REDIS_PASSWORD");
        return withPassword(redis(), password);
    }

    private String password(String fileKey, String envName) {
        String file = values.get(fileKey);
        if (file != null) {
            try {
                return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw CliError.usage("cannot read the password file " + file);
            }
        }
        return blankToNull(env.get(envName));
    }

    private static String withPassword(String uri, String password) {
        if (uri == null || password == null) {
            return uri;
        }
        try {
            URI u = new URI(uri.strip());
            String info = u.getRawUserInfo();
            if (info != null && info.contains(":")) {
                return uri; // the URI (from the environment or the file) carries its own password
            }
            String user = info == null ? "" : info;
            String scheme = u.getScheme();
            String rest = uri.strip().substring(scheme.length() + 3);
            if (info != null) {
                rest = rest.substring(info.length() + 1);
            }
            return scheme + "://" + user + ":" + percentEncode(password) + "@" + rest;
        } catch (URISyntaxException e) {
            throw CliError.usage("the " + (uri.startsWith("redis") ? "Redis" : "PostgreSQL") + " URI is malformed");
        }
    }

    private static String percentEncode(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
                out.append((char) c);
            } else {
                out.append('%').append(String.format("%02X", c));
            }
        }
        return out.toString();
    }

    /** Host, port and database of a URI, for messages: no user, password or parameters. */
    static String describe(String uri) {
        try {
            URI u = new URI(uri.strip());
            String path = u.getPath() == null ? "" : u.getPath();
            return u.getHost() + (u.getPort() >= 0 ? ":" + u.getPort() : "") + path;
        } catch (URISyntaxException e) {
            return "(malformed URI)";
        }
    }

    /** The settings without passwords. */
    @Override
    public String toString() {
        Map<String, String> shown = new LinkedHashMap<>(values);
        shown.computeIfPresent("db", (k, v) -> describe(v));
        shown.computeIfPresent("redis", (k, v) -> describe(v));
        return shown.toString();
    }
}
