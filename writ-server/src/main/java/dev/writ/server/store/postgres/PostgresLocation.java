package dev.writ.server.store.postgres;

import dev.writ.server.store.StoreException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Where a PostgreSQL database is: a JDBC URL plus the user and password taken out of it.
 *
 * <p>Accepts the libpq URI form {@code postgresql://user:password@host:port/database?param=value} (also
 * {@code postgres://}), as printed by most hosting providers, and the JDBC form
 * {@code jdbc:postgresql://host:port/database?user=...&password=...}, which is passed to the driver unchanged.
 * {@link #toString()} and {@link #describe()} never include the password.
 *
 * @param jdbcUrl the URL given to the JDBC driver (for the libpq form: without user and password)
 * @param user the user from the libpq form, or null (the JDBC form carries its own)
 * @param password the password from the libpq form, or null
 */
public record PostgresLocation(String jdbcUrl, String user, String password) {

    /**
     * Parses a connection string.
     *
     * @throws StoreException when it is neither form; the message does not repeat the string (it may hold a password)
     */
    public static PostgresLocation parse(String location) throws StoreException {
        if (location == null || location.isBlank()) {
            throw new StoreException("no PostgreSQL connection string was given");
        }
        String s = location.strip();
        if (s.startsWith("jdbc:postgresql:")) {
            return new PostgresLocation(s, null, null);
        }
        if (!s.startsWith("postgresql://") && !s.startsWith("postgres://")) {
            throw new StoreException("a PostgreSQL connection string starts with postgresql:// or jdbc:postgresql://");
        }
        URI uri;
        try {
            uri = new URI(s);
        } catch (URISyntaxException e) {
            // Not chained: the exception's message quotes the input, password included.
            throw new StoreException("the PostgreSQL connection string is not a valid URI");
        }
        if (uri.getRawAuthority() == null || uri.getHost() == null) {
            throw new StoreException("the PostgreSQL connection string names no host");
        }
        String user = null;
        String password = null;
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
            password = colon < 0 ? null : decode(userInfo.substring(colon + 1));
        }
        StringBuilder url = new StringBuilder("jdbc:postgresql://").append(uri.getHost());
        if (uri.getPort() >= 0) {
            url.append(':').append(uri.getPort());
        }
        String path = uri.getRawPath();
        url.append(path == null || path.isEmpty() ? "/" : path);
        if (uri.getRawQuery() != null) {
            url.append('?').append(uri.getRawQuery());
        }
        return new PostgresLocation(url.toString(), user, password);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** Host, port and database, for messages: no user, password or parameters. */
    public String describe() {
        String rest = jdbcUrl.substring("jdbc:postgresql:".length());
        int q = rest.indexOf('?');
        if (q >= 0) {
            rest = rest.substring(0, q);
        }
        if (rest.startsWith("//")) {
            rest = rest.substring(2);
        }
        int at = rest.lastIndexOf('@', rest.indexOf('/') < 0 ? rest.length() : rest.indexOf('/'));
        return at >= 0 ? rest.substring(at + 1) : rest;
    }

    @Override
    public String toString() {
        return "PostgresLocation[" + describe() + (user == null ? "" : ", user=" + user) + "]";
    }
}
