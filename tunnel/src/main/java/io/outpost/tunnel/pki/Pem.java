package io.outpost.tunnel.pki;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * PEM encoding of certificates and private keys, and atomic file writes.
 *
 * <pre>{@code
 * Pem.write(dir.resolve("agent.crt"), certificate);
 * Pem.write(dir.resolve("agent.key"), privateKey);          // owner-only (600) on POSIX
 * X509Certificate cert = Pem.readCertificate(dir.resolve("agent.crt"));
 * }</pre>
 *
 * <p>Private keys are written as unencrypted PKCS#8 ({@code -----BEGIN PRIVATE KEY-----}); reading
 * also accepts OpenSSL's {@code EC PRIVATE KEY} and {@code RSA PRIVATE KEY}. Content errors are
 * {@link IllegalArgumentException}s naming the file; I/O errors are {@link IOException}s.
 */
public final class Pem {

    private static final String CERTIFICATE = "CERTIFICATE";
    private static final String PRIVATE_KEY = "PRIVATE KEY";

    private Pem() {
    }

    // ---- encoding ----

    /**
     * Encodes certificates as concatenated {@code CERTIFICATE} blocks, in the given order.
     *
     * @throws IllegalArgumentException if a certificate cannot be encoded
     */
    public static String encode(X509Certificate... certificates) {
        StringBuilder out = new StringBuilder();
        for (X509Certificate certificate : certificates) {
            try {
                block(out, CERTIFICATE, certificate.getEncoded());
            } catch (CertificateEncodingException e) {
                throw new IllegalArgumentException("cannot encode certificate "
                        + certificate.getSubjectX500Principal() + ": " + e.getMessage(), e);
            }
        }
        return out.toString();
    }

    /**
     * Encodes a private key as an unencrypted PKCS#8 {@code PRIVATE KEY} block.
     *
     * @throws IllegalArgumentException if the key does not have a PKCS#8 encoding (e.g. a key held
     *     in a hardware token)
     */
    public static String encode(PrivateKey key) {
        if (!"PKCS#8".equals(key.getFormat()) || key.getEncoded() == null) {
            throw new IllegalArgumentException("cannot write " + key.getAlgorithm()
                    + " private key as PEM: its encoding is " + key.getFormat()
                    + ", not PKCS#8 (keys that cannot be exported are not supported)");
        }
        StringBuilder out = new StringBuilder();
        block(out, PRIVATE_KEY, key.getEncoded());
        return out.toString();
    }

    private static void block(StringBuilder out, String type, byte[] der) {
        out.append("-----BEGIN ").append(type).append("-----\n");
        out.append(Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der));
        out.append("\n-----END ").append(type).append("-----\n");
    }

    // ---- decoding ----

    /**
     * Reads all {@code CERTIFICATE} blocks, in order; other blocks are skipped.
     *
     * @param pem the PEM text
     * @param source where the text came from, for error messages (e.g. a file name)
     * @throws IllegalArgumentException if there is no certificate or one is malformed
     */
    public static List<X509Certificate> decodeCertificates(String pem, String source) {
        List<X509Certificate> certificates = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object object;
            while ((object = parser.readObject()) != null) {
                if (object instanceof X509CertificateHolder holder) {
                    certificates.add(toX509(holder.getEncoded()));
                }
            }
        } catch (IOException | CertificateException | RuntimeException e) {
            throw new IllegalArgumentException(source + " does not hold valid PEM certificates: "
                    + e.getMessage(), e);
        }
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException(source + " holds no PEM certificate (expected a "
                    + "-----BEGIN CERTIFICATE----- block)");
        }
        return List.copyOf(certificates);
    }

    /**
     * Reads the first private key block ({@code PRIVATE KEY}, {@code EC PRIVATE KEY} or
     * {@code RSA PRIVATE KEY}); other blocks are skipped.
     *
     * @param pem the PEM text
     * @param source where the text came from, for error messages (e.g. a file name)
     * @throws IllegalArgumentException if there is no key, it is encrypted, or it is malformed
     */
    public static PrivateKey decodePrivateKey(String pem, String source) {
        Object found = null;
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object object;
            while (found == null && (object = parser.readObject()) != null) {
                if (object instanceof PrivateKeyInfo || object instanceof PEMKeyPair
                        || object instanceof PKCS8EncryptedPrivateKeyInfo
                        || object instanceof PEMEncryptedKeyPair) {
                    found = object;
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(source + " does not hold a valid PEM private key: "
                    + e.getMessage(), e);
        }
        if (found == null) {
            throw new IllegalArgumentException(source + " holds no PEM private key (expected a "
                    + "-----BEGIN PRIVATE KEY----- block)");
        }
        if (found instanceof PKCS8EncryptedPrivateKeyInfo || found instanceof PEMEncryptedKeyPair) {
            throw new IllegalArgumentException(source + " holds an encrypted private key; "
                    + "write it unencrypted (openssl pkcs8 -topk8 -nocrypt) and protect the file");
        }
        PrivateKeyInfo info = found instanceof PEMKeyPair pair
                ? pair.getPrivateKeyInfo() : (PrivateKeyInfo) found;
        try {
            return new JcaPEMKeyConverter().getPrivateKey(info);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(source + " holds a private key this JVM cannot read: "
                    + e.getMessage(), e);
        }
    }

    // ---- files ----

    /**
     * Reads all certificates of a PEM file.
     *
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException naming the file if it holds no valid certificate
     */
    public static List<X509Certificate> readCertificates(Path file) throws IOException {
        return decodeCertificates(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
    }

    /**
     * Reads the first certificate of a PEM file.
     *
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException naming the file if it holds no valid certificate
     */
    public static X509Certificate readCertificate(Path file) throws IOException {
        return readCertificates(file).get(0);
    }

    /**
     * Reads the private key of a PEM file.
     *
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException naming the file if it holds no valid unencrypted key
     */
    public static PrivateKey readPrivateKey(Path file) throws IOException {
        return decodePrivateKey(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
    }

    /** Atomically writes certificates as PEM (mode 644 on POSIX). */
    public static void write(Path file, X509Certificate... certificates) throws IOException {
        writeAtomically(file, encode(certificates).getBytes(StandardCharsets.US_ASCII), false);
    }

    /** Atomically writes a private key as PKCS#8 PEM, readable by the owner only (600 on POSIX). */
    public static void write(Path file, PrivateKey key) throws IOException {
        writeAtomically(file, encode(key).getBytes(StandardCharsets.US_ASCII), true);
    }

    /**
     * Writes a file so that readers see either the old or the new content, never a partial one:
     * the bytes go to a temporary file in the same directory, which is flushed to disk and then
     * renamed over {@code file}. Missing parent directories are created.
     *
     * @param file the target
     * @param content the bytes
     * @param ownerOnly {@code true} for secrets: mode 600 where the file system supports POSIX
     *     permissions (the temporary file already has it, so the secret is never readable by others);
     *     otherwise 644
     * @throws IOException if the write or the rename fails; the temporary file is removed
     */
    public static void writeAtomically(Path file, byte[] content, boolean ownerOnly)
            throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Files.createDirectories(dir);
        boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
        Path tmp = posix
                ? Files.createTempFile(dir, "." + target.getFileName(), ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                : Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            if (posix && !ownerOnly) {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            syncDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void syncDirectory(Path dir) {
        // Makes the rename durable on Linux; not possible on every OS (e.g. Windows), hence best effort.
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
    }

    static X509Certificate toX509(byte[] der) throws CertificateException {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
    }
}
