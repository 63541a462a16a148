package io.outpost.tunnel.pki;

import java.io.IOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * A certificate together with its private key.
 *
 * <pre>{@code
 * IssuedCertificate server = ca.issueServer(List.of("hub.example.com"), List.of(), Duration.ofDays(90));
 * server.writePem(dataDir.resolve("server.crt"), dataDir.resolve("server.key"));
 * IssuedCertificate again = IssuedCertificate.readPem(dataDir.resolve("server.crt"), dataDir.resolve("server.key"));
 * }</pre>
 *
 * @param certificate the certificate
 * @param privateKey the private key for the certificate's public key
 */
public record IssuedCertificate(X509Certificate certificate, PrivateKey privateKey) {

    /** Checks for nulls; does not check that the key belongs to the certificate. */
    public IssuedCertificate {
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(privateKey, "privateKey");
    }

    /** The certificate followed by {@code issuers}, e.g. the CA, as presented in TLS. */
    public X509Certificate[] chain(X509Certificate... issuers) {
        X509Certificate[] chain = new X509Certificate[issuers.length + 1];
        chain[0] = certificate;
        System.arraycopy(issuers, 0, chain, 1, issuers.length);
        return chain;
    }

    /** The certificate as PEM. */
    public String certificatePem() {
        return Pem.encode(certificate);
    }

    /**
     * Atomically writes the certificate (mode 644) and the key (PKCS#8, mode 600 on POSIX). The key
     * is written first, so a crash in between leaves the old certificate with a new key, which
     * {@link #readPem} reports as a mismatch rather than silently using.
     */
    public void writePem(Path certificateFile, Path keyFile) throws IOException {
        Pem.write(keyFile, privateKey);
        Pem.write(certificateFile, certificate);
    }

    /**
     * Reads a certificate (the first one in the file) and its key.
     *
     * @throws IOException if a file cannot be read
     * @throws IllegalArgumentException naming the files if either is malformed or the key does not
     *     belong to the certificate
     */
    public static IssuedCertificate readPem(Path certificateFile, Path keyFile) throws IOException {
        X509Certificate certificate = Pem.readCertificate(certificateFile);
        PrivateKey key = Pem.readPrivateKey(keyFile);
        if (!Crypto.matches(key, certificate.getPublicKey())) {
            throw new IllegalArgumentException("the private key in " + keyFile
                    + " does not belong to the certificate in " + certificateFile
                    + "; restore the matching pair or issue a new certificate");
        }
        return new IssuedCertificate(certificate, key);
    }

    /** Describes the certificate; never prints key material. */
    @Override
    public String toString() {
        return "IssuedCertificate[subject=" + certificate.getSubjectX500Principal().getName()
                + ", serial=" + certificate.getSerialNumber().toString(16)
                + ", notAfter=" + certificate.getNotAfter().toInstant() + "]";
    }
}
