package dev.writ.server.policy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The files of a policy bundle, exactly as they were read, keyed by relative path, and their canonical encoding.
 *
 * <p>The canonical encoding (documented in {@code docs/policy.md}) is the magic line {@code writ-policy-bundle/v1\n},
 * the number of files as a 4-byte big-endian integer, then for each file in ascending order of the UTF-8 bytes of its
 * path: the path length (4 bytes, big-endian), the path (UTF-8, {@code /}-separated, relative), the content length (8
 * bytes, big-endian), the content. The bundle hash is SHA-256 of that encoding, written {@code sha256:<hex>}.
 *
 * <p>A bundle holds only these files: {@code manifest.json}, {@code schema.cedarschema}, {@code *.cedar} (in the root or
 * in sub-directories) and {@code tests/*.json}. Anything else, hidden files, symbolic links, empty files and files above
 * 1 MiB are refused, so that what is hashed is exactly what is evaluated. Immutable; contents are copied out.
 */
public final class BundleFiles {
    static final byte[] MAGIC = "writ-policy-bundle/v1\n".getBytes(StandardCharsets.US_ASCII);
    static final int MAX_FILES = 4096;
    static final int MAX_FILE_BYTES = 1 << 20;
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");

    private final TreeMap<String, byte[]> files;
    private final byte[] encoded;
    private final String hash;

    private BundleFiles(TreeMap<String, byte[]> files) {
        this.files = files;
        this.encoded = encode(files);
        this.hash = "sha256:" + HexFormat.of().formatHex(sha256(encoded));
    }

    /**
     * Builds a bundle from path → content pairs.
     *
     * @throws PolicyException {@code policy.invalid_bundle} when a path is not allowed or the bundle misses its
     *     manifest, schema or policies
     */
    public static BundleFiles of(Map<String, byte[]> contents) throws PolicyException {
        if (contents.size() > MAX_FILES) {
            throw new PolicyException("policy.invalid_bundle", "a bundle holds at most " + MAX_FILES + " files");
        }
        TreeMap<String, byte[]> sorted = new TreeMap<>(BundleFiles::compareUtf8);
        for (Map.Entry<String, byte[]> e : contents.entrySet()) {
            checkPath(e.getKey());
            byte[] c = e.getValue();
            if (c.length == 0 || c.length > MAX_FILE_BYTES) {
                throw new PolicyException(
                        "policy.invalid_bundle", e.getKey() + ": files must be between 1 byte and 1 MiB");
            }
            sorted.put(e.getKey(), c.clone());
        }
        for (String required : new String[] {"manifest.json", "schema.cedarschema"}) {
            if (!sorted.containsKey(required)) {
                throw new PolicyException("policy.invalid_bundle", "the bundle has no " + required);
            }
        }
        if (sorted.keySet().stream().noneMatch(p -> p.endsWith(".cedar"))) {
            throw new PolicyException("policy.invalid_bundle", "the bundle has no .cedar policy file");
        }
        return new BundleFiles(sorted);
    }

    /**
     * Reads a bundle directory.
     *
     * @throws PolicyException {@code policy.invalid_bundle} when the directory cannot be read or holds a file that is
     *     not allowed (see the class description)
     */
    public static BundleFiles read(Path dir) throws PolicyException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new PolicyException("policy.invalid_bundle", "not a bundle directory: " + dir);
        }
        Map<String, byte[]> contents = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (p.equals(dir)) {
                    continue;
                }
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                String rel = relative(dir, p);
                if (a.isSymbolicLink() || a.isOther()) {
                    // A link could point outside the bundle, so what is hashed would not be what was reviewed.
                    throw new PolicyException("policy.invalid_bundle", rel + ": links and special files are refused");
                }
                if (a.isDirectory()) {
                    continue;
                }
                if (a.size() > MAX_FILE_BYTES) {
                    throw new PolicyException("policy.invalid_bundle", rel + ": files must be at most 1 MiB");
                }
                contents.put(rel, Files.readAllBytes(p));
            }
        } catch (IOException e) {
            throw new PolicyException("policy.invalid_bundle", "cannot read the bundle directory " + dir, e);
        }
        return of(contents);
    }

    /**
     * Decodes a canonical encoding (the form the store keeps).
     *
     * @throws PolicyException {@code policy.invalid_bundle} when the bytes are not a canonical encoding
     */
    public static BundleFiles decode(byte[] encoding) throws PolicyException {
        try {
            ByteBuffer b = ByteBuffer.wrap(encoding);
            byte[] magic = new byte[MAGIC.length];
            b.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new PolicyException("policy.invalid_bundle", "not a canonical bundle encoding");
            }
            int n = b.getInt();
            if (n < 0 || n > MAX_FILES) {
                throw new PolicyException("policy.invalid_bundle", "bad file count in bundle encoding");
            }
            Map<String, byte[]> contents = new TreeMap<>();
            for (int i = 0; i < n; i++) {
                int pl = b.getInt();
                if (pl <= 0 || pl > 4096) {
                    throw new PolicyException("policy.invalid_bundle", "bad path length in bundle encoding");
                }
                byte[] path = new byte[pl];
                b.get(path);
                long cl = b.getLong();
                if (cl <= 0 || cl > MAX_FILE_BYTES) {
                    throw new PolicyException("policy.invalid_bundle", "bad content length in bundle encoding");
                }
                byte[] content = new byte[(int) cl];
                b.get(content);
                contents.put(new String(path, StandardCharsets.UTF_8), content);
            }
            if (b.hasRemaining()) {
                throw new PolicyException("policy.invalid_bundle", "trailing bytes after the bundle encoding");
            }
            BundleFiles f = of(contents);
            // Re-encoding must reproduce the input exactly, otherwise it was not canonical (e.g. unsorted).
            if (!Arrays.equals(f.encoded, encoding)) {
                throw new PolicyException("policy.invalid_bundle", "bundle encoding is not canonical");
            }
            return f;
        } catch (java.nio.BufferUnderflowException e) {
            throw new PolicyException("policy.invalid_bundle", "truncated bundle encoding");
        }
    }

    /** The bundle hash: {@code sha256:} and the lower-case hex SHA-256 of the canonical encoding. */
    public String hash() {
        return hash;
    }

    /** The canonical encoding (a copy). */
    public byte[] encoded() {
        return encoded.clone();
    }

    /** The relative paths, in canonical order. */
    public java.util.Set<String> paths() {
        return Collections.unmodifiableSet(files.keySet());
    }

    /** The content of one file (a copy), or {@code null} when absent. */
    public byte[] get(String path) {
        byte[] c = files.get(path);
        return c == null ? null : c.clone();
    }

    /** The content of one file as UTF-8 text, refusing invalid UTF-8. */
    String text(String path) throws PolicyException {
        byte[] c = files.get(path);
        if (c == null) {
            throw new PolicyException("policy.invalid_bundle", "the bundle has no " + path);
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .decode(ByteBuffer.wrap(c))
                    .toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new PolicyException("policy.invalid_bundle", path + " is not valid UTF-8");
        }
    }

    /** Writes the files below {@code dir} (which must not exist or be empty). */
    public void writeTo(Path dir) throws IOException {
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            Path p = dir.resolve(e.getKey());
            Files.createDirectories(p.getParent());
            Files.write(p, e.getValue());
        }
    }

    private static void checkPath(String path) throws PolicyException {
        String[] segs = path.split("/", -1);
        for (String s : segs) {
            // Hidden files, "..", absolute paths and odd characters are refused: paths must mean the same everywhere.
            if (!SEGMENT.matcher(s).matches() || s.equals("..")) {
                throw new PolicyException("policy.invalid_bundle", "file name not allowed in a bundle: " + path);
            }
        }
        boolean allowed = path.equals("manifest.json")
                || path.equals("schema.cedarschema")
                || (path.endsWith(".cedar") && !path.startsWith("tests/"))
                || (segs.length == 2 && segs[0].equals("tests") && path.endsWith(".json"));
        if (!allowed) {
            throw new PolicyException(
                    "policy.invalid_bundle",
                    "file not allowed in a bundle (only manifest.json, schema.cedarschema, *.cedar, tests/*.json): "
                            + path);
        }
    }

    private static String relative(Path dir, Path p) {
        StringBuilder sb = new StringBuilder();
        for (Path seg : dir.relativize(p)) {
            if (!sb.isEmpty()) {
                sb.append('/');
            }
            sb.append(seg.toString());
        }
        return sb.toString();
    }

    static int compareUtf8(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] encode(TreeMap<String, byte[]> files) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(MAGIC);
        out.writeBytes(ByteBuffer.allocate(4).putInt(files.size()).array());
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            byte[] p = e.getKey().getBytes(StandardCharsets.UTF_8);
            out.writeBytes(ByteBuffer.allocate(4).putInt(p.length).array());
            out.writeBytes(p);
            out.writeBytes(ByteBuffer.allocate(8).putLong(e.getValue().length).array());
            out.writeBytes(e.getValue());
        }
        return out.toByteArray();
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}
