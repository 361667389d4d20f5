package io.codexrelay.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * The passphrase-encrypted accounts file ({@code accounts export}, {@code import}, WebDAV sync). A small JSON envelope
 * whose {@code data} is AES-256-GCM ciphertext; the key comes from the passphrase by PBKDF2-HMAC-SHA256 with
 * {@value #ITERATIONS} iterations and a random 16-byte salt. Both are in the JDK (no extra jar); the iteration count is
 * OWASP's 2023 figure for PBKDF2-SHA256. The envelope's header (format, version, KDF, salt, nonce) is the GCM
 * additional data, so changing any of it makes opening fail like a wrong passphrase. docs/sync.md explains the choice.
 */
public final class SealedFile {
    public static final String FORMAT = "codex-relay-accounts";
    public static final int VERSION = 1;
    public static final int ITERATIONS = 600_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A file that could not be opened; the message says whether it is the passphrase or the file, and what to do. */
    public static final class OpenException extends Exception {
        public OpenException(String message) { super(message); }
    }

    private SealedFile() {}

    public static byte[] seal(byte[] plain, char[] passphrase) {
        SecureRandom rnd = new SecureRandom();
        byte[] salt = new byte[16], nonce = new byte[12];
        rnd.nextBytes(salt);
        rnd.nextBytes(nonce);
        ObjectNode env = JSON.createObjectNode();
        env.put("format", FORMAT).put("version", VERSION);
        env.putObject("kdf").put("name", "PBKDF2-HMAC-SHA256").put("iterations", ITERATIONS)
                .put("salt", Base64.getEncoder().encodeToString(salt));
        env.put("cipher", "AES-256-GCM").put("nonce", Base64.getEncoder().encodeToString(nonce));
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key(passphrase, salt, ITERATIONS), new GCMParameterSpec(128, nonce));
            c.updateAAD(aad(env));
            env.put("data", Base64.getEncoder().encodeToString(c.doFinal(plain)));
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(env);
        } catch (Exception e) {
            throw new IllegalStateException("encryption failed: " + e.getMessage(), e);
        }
    }

    public static byte[] open(byte[] sealed, char[] passphrase) throws OpenException {
        JsonNode env;
        try {
            env = JSON.readTree(sealed);
        } catch (Exception e) {
            env = null;
        }
        if (env == null || !env.isObject() || !FORMAT.equals(env.path("format").asText())) {
            throw new OpenException("This is not a codex-relay accounts file (or it is damaged): no '" + FORMAT
                    + "' header. Export it again with `codex-relay accounts export`.");
        }
        if (env.path("version").asInt() != VERSION) {
            throw new OpenException("This accounts file has format version " + env.path("version").asText()
                    + "; this codex-relay reads version " + VERSION + ". Update codex-relay on this machine.");
        }
        try {
            byte[] salt = Base64.getDecoder().decode(env.path("kdf").path("salt").asText());
            int iterations = env.path("kdf").path("iterations").asInt();
            byte[] nonce = Base64.getDecoder().decode(env.path("nonce").asText());
            byte[] data = Base64.getDecoder().decode(env.path("data").asText());
            if (iterations < 100_000 || iterations > 100_000_000 || salt.length < 16 || nonce.length != 12 || data.length < 16)
                throw new IllegalArgumentException("bad header");
            ObjectNode header = ((ObjectNode) env).deepCopy();
            header.remove("data");
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key(passphrase, salt, iterations), new GCMParameterSpec(128, nonce));
            c.updateAAD(aad(header));
            return c.doFinal(data);
        } catch (AEADBadTagException e) {
            throw new OpenException("Wrong passphrase, or the accounts file was changed or damaged (it failed its integrity "
                    + "check). Nothing was changed here. Try the passphrase again, or export the file anew on the other machine.");
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new OpenException("The accounts file is damaged (its header cannot be read). Nothing was changed here. "
                    + "Export it anew with `codex-relay accounts export`.");
        } catch (GeneralSecurityException e) {
            throw new OpenException("The accounts file could not be decrypted (" + e.getClass().getSimpleName()
                    + "). Nothing was changed here.");
        }
    }

    /** The header fields in a fixed order, so the additional data does not depend on JSON formatting. */
    private static byte[] aad(JsonNode env) {
        String s = env.path("format").asText() + "|" + env.path("version").asInt() + "|" + env.path("kdf").path("name").asText()
                + "|" + env.path("kdf").path("iterations").asInt() + "|" + env.path("kdf").path("salt").asText()
                + "|" + env.path("cipher").asText() + "|" + env.path("nonce").asText();
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static SecretKeySpec key(char[] passphrase, byte[] salt, int iterations) throws GeneralSecurityException {
        PBEKeySpec spec = new PBEKeySpec(passphrase, salt, iterations, 256);
        try {
            byte[] k = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            SecretKeySpec out = new SecretKeySpec(k, "AES");
            Arrays.fill(k, (byte) 0);
            return out;
        } finally {
            spec.clearPassword();
        }
    }
}
