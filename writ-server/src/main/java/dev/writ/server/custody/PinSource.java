package dev.writ.server.custody;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where a PKCS#11 PIN comes from: a file or an environment variable. The source is configuration and safe to store
 * (in {@code domain.json}); the PIN itself is read only when the token is opened, and never appears in a message.
 */
public sealed interface PinSource {

    /**
     * Reads the PIN. The caller owns the returned array and should wipe it after use.
     *
     * @throws CustodyException when the source is missing, empty or (for a file) readable by other users
     */
    char[] read(Map<String, String> env) throws CustodyException;

    /** The command-line form: {@code file:<path>} or {@code env:<NAME>}. */
    String spec();

    /**
     * Parses {@code file:<path>} or {@code env:<NAME>}.
     *
     * @throws IllegalArgumentException for anything else
     */
    static PinSource parse(String spec) {
        Objects.requireNonNull(spec, "spec");
        if (spec.startsWith("file:") && spec.length() > 5) {
            return new File(Path.of(spec.substring(5)));
        }
        if (spec.startsWith("env:") && spec.length() > 4) {
            return new Env(spec.substring(4));
        }
        throw new IllegalArgumentException("PIN source must be file:<path> or env:<NAME>");
    }

    /** The PIN is the content of a file (one line; a trailing newline is ignored), readable by its owner only. */
    record File(Path path) implements PinSource {
        public File {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public char[] read(Map<String, String> env) throws CustodyException {
            requireOwnerOnly(path, "PIN file");
            byte[] raw;
            try {
                raw = Files.readAllBytes(path);
            } catch (NoSuchFileException e) {
                throw new CustodyException("PIN file not found: " + path);
            } catch (IOException e) {
                throw new CustodyException(
                        "cannot read PIN file " + path + ": " + e.getClass().getSimpleName());
            }
            try {
                int end = raw.length;
                while (end > 0 && (raw[end - 1] == '\n' || raw[end - 1] == '\r')) {
                    end--;
                }
                if (end == 0) {
                    throw new CustodyException("PIN file " + path + " is empty");
                }
                CharBuffer chars;
                try {
                    chars = StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(raw, 0, end));
                } catch (CharacterCodingException e) {
                    throw new CustodyException("PIN file " + path + " is not UTF-8 text");
                }
                char[] pin = new char[chars.remaining()];
                chars.get(pin);
                Arrays.fill(chars.array(), '\0');
                return pin;
            } finally {
                Arrays.fill(raw, (byte) 0);
            }
        }

        @Override
        public String spec() {
            return "file:" + path;
        }
    }

    /** The PIN is the value of an environment variable. */
    record Env(String variable) implements PinSource {
        private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

        public Env {
            Objects.requireNonNull(variable, "variable");
            if (!NAME.matcher(variable).matches()) {
                throw new IllegalArgumentException("not an environment variable name: " + variable);
            }
        }

        @Override
        public char[] read(Map<String, String> env) throws CustodyException {
            String value = env.get(variable);
            if (value == null || value.isEmpty()) {
                throw new CustodyException("environment variable " + variable + " (the PKCS#11 PIN) is not set");
            }
            return value.toCharArray();
        }

        @Override
        public String spec() {
            return "env:" + variable;
        }
    }

    /** Refuses a secret file that other users can read: its content would not be a secret any more. */
    static void requireOwnerOnly(Path file, String what) throws CustodyException {
        if (!SecureFiles.posix(file) || !Files.exists(file)) {
            return;
        }
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (IOException e) {
            throw new CustodyException("cannot check permissions of " + what + " " + file);
        }
        if (perms.contains(PosixFilePermission.GROUP_READ)
                || perms.contains(PosixFilePermission.OTHERS_READ)
                || perms.contains(PosixFilePermission.GROUP_WRITE)
                || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new CustodyException(what + " " + file + " is accessible to other users; restrict it (chmod 600)");
        }
    }
}
