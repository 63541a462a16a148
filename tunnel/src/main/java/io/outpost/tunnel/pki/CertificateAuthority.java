package io.outpost.tunnel.pki;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.util.IPAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's certificate authority, kept as {@code ca.crt} and {@code ca.key} (PEM) in the hub's
 * data directory and created on first start.
 *
 * <pre>{@code
 * CertificateAuthority ca = CertificateAuthority.loadOrCreate(dataDir.resolve("pki"), "outpost-hub-ca", Clock.systemUTC());
 * System.out.println("outpost agent join --hub hub:8443 --token ... --ca-hash " + ca.pin());
 *
 * IssuedCertificate server = ca.issueServer(List.of("hub.example.com", "localhost"), List.of("127.0.0.1"), Duration.ofDays(365));
 * ServerCredentials creds = Tls.serverCredentials(server.chain(ca.certificate()), server.privateKey(), ca.certificate());
 *
 * // Join RPC, after checking the bootstrap token:
 * X509Certificate client = ca.signClient(request.getCsrDer().toByteArray(), clusterName, Duration.ofDays(30));
 * }</pre>
 *
 * <p>New CAs have an EC P-256 key, are valid for 10 years and have the subject
 * {@code CN=<commonName>}. Issued certificates are backdated by {@link #CLOCK_SKEW} so that agents
 * whose clocks are a little behind accept them, and never outlive the CA. Instances are immutable
 * and thread-safe.
 */
public final class CertificateAuthority {

    /** File name of the CA certificate in the CA directory. */
    public static final String CERTIFICATE_FILE = "ca.crt";
    /** File name of the CA private key in the CA directory (mode 600 on POSIX). */
    public static final String KEY_FILE = "ca.key";
    /** How long a newly created CA is valid. */
    public static final Duration CA_VALIDITY = Duration.ofDays(3650);
    /** How far back issued certificates' notBefore is set, to tolerate clock skew. */
    public static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
    /** The organisation (O) of every client certificate this CA signs. */
    public static final String AGENTS_ORGANIZATION = "outpost:agents";

    private static final Logger LOG = LoggerFactory.getLogger(CertificateAuthority.class);
    private static final int MAX_COMMON_NAME = 64; // ub-common-name, RFC 5280

    private final X509Certificate certificate;
    private final PrivateKey key;
    private final Clock clock;
    private final String pin;

    private CertificateAuthority(X509Certificate certificate, PrivateKey key, Clock clock) {
        this.certificate = certificate;
        this.key = key;
        this.clock = clock;
        this.pin = CaPin.of(certificate);
    }

    /**
     * Loads the CA from {@code dir/ca.crt} and {@code dir/ca.key}, or, if neither exists, creates
     * a new one there (creating {@code dir} as needed). Both files are written atomically, the key
     * first and owner-only.
     *
     * <p>The common name is used only when creating; a loaded CA keeps its own subject.
     *
     * @param dir the CA directory, e.g. {@code <hub data dir>/pki}
     * @param commonName subject CN of a new CA
     * @param clock time source for validity periods and checks
     * @throws IllegalStateException naming the file if only one of the two files exists, a file is
     *     corrupt, the certificate is not a CA, or the key does not belong to the certificate
     * @throws UncheckedIOException if the directory or files cannot be read or written
     */
    public static CertificateAuthority loadOrCreate(Path dir, String commonName, Clock clock) {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(clock, "clock");
        Path certificateFile = dir.resolve(CERTIFICATE_FILE);
        Path keyFile = dir.resolve(KEY_FILE);
        boolean haveCertificate = Files.exists(certificateFile);
        boolean haveKey = Files.exists(keyFile);
        if (haveCertificate && haveKey) {
            return load(certificateFile, keyFile, clock);
        }
        if (haveCertificate || haveKey) {
            Path present = haveCertificate ? certificateFile : keyFile;
            Path missing = haveCertificate ? keyFile : certificateFile;
            throw new IllegalStateException("found " + present + " but not " + missing
                    + ": restore the missing file from a backup, or, to start over with a new CA "
                    + "(every agent must join again), delete " + present);
        }
        return create(certificateFile, keyFile, commonName, clock);
    }

    private static CertificateAuthority load(Path certificateFile, Path keyFile, Clock clock) {
        X509Certificate certificate;
        PrivateKey key;
        try {
            certificate = Pem.readCertificate(certificateFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the CA certificate " + certificateFile, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the CA certificate file " + certificateFile
                    + " is corrupt: " + e.getMessage(), e);
        }
        try {
            key = Pem.readPrivateKey(keyFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the CA key " + keyFile, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the CA key file " + keyFile + " is corrupt: "
                    + e.getMessage(), e);
        }
        if (certificate.getBasicConstraints() < 0) {
            throw new IllegalStateException("the certificate in " + certificateFile
                    + " is not a CA certificate (basicConstraints CA:TRUE is missing): "
                    + certificate.getSubjectX500Principal().getName());
        }
        if (!Crypto.matches(key, certificate.getPublicKey())) {
            throw new IllegalStateException("the CA key in " + keyFile
                    + " does not belong to the CA certificate in " + certificateFile
                    + ": restore the matching pair from the same backup");
        }
        CertificateAuthority ca = new CertificateAuthority(certificate, key, clock);
        Instant notAfter = certificate.getNotAfter().toInstant();
        if (clock.instant().isAfter(notAfter)) {
            LOG.warn("The CA certificate in {} expired on {}: no certificate it signs will be "
                    + "trusted; create a new CA and join every agent again", certificateFile, notAfter);
        }
        LOG.debug("Loaded CA {} ({}) from {}", certificate.getSubjectX500Principal().getName(), ca.pin, certificateFile);
        return ca;
    }

    private static CertificateAuthority create(Path certificateFile, Path keyFile, String commonName,
            Clock clock) {
        requireCommonName(commonName, "CA common name");
        KeyPair keys = CertificateRequests.newKeyPair();
        Instant now = clock.instant();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
        X509Certificate certificate;
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                    Crypto.randomSerial(), Date.from(now.minus(CLOCK_SKEW)), Date.from(now.plus(CA_VALIDITY)),
                    subject, keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            extensions.createSubjectKeyIdentifier(keys.getPublic()));
            certificate = sign(builder, keys.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot create the CA certificate: " + e.getMessage(), e);
        }
        try {
            Pem.write(keyFile, keys.getPrivate());
            Pem.write(certificateFile, certificate);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the new CA to " + certificateFile.getParent()
                    + " (check that the hub's data directory is writable)", e);
        }
        CertificateAuthority ca = new CertificateAuthority(certificate, keys.getPrivate(), clock);
        LOG.info("Created a new CA {} in {}; its pin is {}", certificate.getSubjectX500Principal().getName(),
                certificateFile.getParent(), ca.pin);
        return ca;
    }

    /** The CA certificate. */
    public X509Certificate certificate() {
        return certificate;
    }

    /** The CA pin, {@code sha256:<64 hex>}, for {@code --ca-hash} (see {@link CaPin}). */
    public String pin() {
        return pin;
    }

    /**
     * Issues a TLS server certificate with a new EC P-256 key pair: serverAuth, the given DNS and IP
     * subject alternative names, and CN = the first name.
     *
     * @param dnsNames DNS names the hub is reached by (may be empty if IPs are given)
     * @param ipAddresses literal IPv4/IPv6 addresses the hub is reached by (no DNS lookups)
     * @param validity how long the certificate is valid, capped at the CA's own expiry
     * @throws IllegalArgumentException if there are no names, a name or address is invalid, or the
     *     validity is not positive
     */
    public IssuedCertificate issueServer(List<String> dnsNames, List<String> ipAddresses,
            Duration validity) {
        List<GeneralName> names = new ArrayList<>();
        for (String dns : dnsNames) {
            if (dns == null || dns.isBlank() || !dns.strip().equals(dns) || dns.contains(" ")) {
                throw new IllegalArgumentException("server DNS name \"" + dns + "\" is not valid: "
                        + "expected a host name such as hub.example.com");
            }
            names.add(new GeneralName(GeneralName.dNSName, dns.toLowerCase(Locale.ROOT)));
        }
        for (String ip : ipAddresses) {
            if (ip == null || !IPAddress.isValid(ip)) {
                throw new IllegalArgumentException("server IP address \"" + ip + "\" is not valid: "
                        + "expected a literal IPv4 or IPv6 address such as 10.0.0.5 or ::1");
            }
            names.add(new GeneralName(GeneralName.iPAddress, ip));
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("a server certificate needs at least one DNS name or "
                    + "IP address: the ones agents use in --hub");
        }
        String commonName = dnsNames.isEmpty() ? ipAddresses.get(0) : dnsNames.get(0);
        KeyPair keys = CertificateRequests.newKeyPair();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.CN, truncate(commonName)).build();
        try {
            X509v3CertificateBuilder builder = leaf(subject, keys.getPublic(), validity)
                    .addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false,
                            new GeneralNames(names.toArray(GeneralName[]::new)));
            return new IssuedCertificate(sign(builder, key), keys.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot issue a server certificate for " + names.size()
                    + " name(s) starting with " + commonName + ": " + e.getMessage(), e);
        }
    }

    /**
     * Signs an agent's certificate signing request.
     *
     * <p>The CSR's signature must verify (proof that the requester holds the private key); its
     * subject and any requested extensions are ignored. The certificate has the subject
     * {@code CN=<commonName>, O=outpost:agents}, clientAuth only, and a random 128-bit serial.
     *
     * @param csrDer the DER PKCS#10 request
     * @param commonName the cluster name, decided by the hub (e.g. from the bootstrap token)
     * @param validity how long the certificate is valid, capped at the CA's own expiry
     * @throws IllegalArgumentException starting with "certificate signing request is not valid:" if
     *     the CSR cannot be parsed, its signature does not verify or its key is unsupported; or
     *     if the common name or validity is invalid
     */
    public X509Certificate signClient(byte[] csrDer, String commonName, Duration validity) {
        requireCommonName(commonName, "client certificate common name");
        PublicKey publicKey = verifiedPublicKey(csrDer);
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, AGENTS_ORGANIZATION)
                .addRDN(BCStyle.CN, commonName)
                .build();
        try {
            X509v3CertificateBuilder builder = leaf(subject, publicKey, validity)
                    .addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
            return sign(builder, key);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot sign a client certificate for CN=" + commonName
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * True if {@code certificate} was signed by this CA (its signature verifies with the CA key and
     * the issuer is this CA's subject) and is valid now, by this CA's clock. Revocation is not
     * checked.
     */
    public boolean issued(X509Certificate certificate) {
        if (certificate == null
                || !certificate.getIssuerX500Principal().equals(this.certificate.getSubjectX500Principal())) {
            return false;
        }
        try {
            certificate.verify(this.certificate.getPublicKey());
            certificate.checkValidity(Date.from(clock.instant()));
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "CertificateAuthority[" + certificate.getSubjectX500Principal().getName() + ", " + pin + "]";
    }

    // ---- internals ----

    private static PublicKey verifiedPublicKey(byte[] csrDer) {
        if (csrDer == null || csrDer.length == 0) {
            throw new IllegalArgumentException("certificate signing request is not valid: it is empty; "
                    + "the agent must send a DER PKCS#10 request (CertificateRequests.csr)");
        }
        PKCS10CertificationRequest csr;
        try {
            csr = new PKCS10CertificationRequest(csrDer);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("certificate signing request is not valid: the "
                    + csrDer.length + " bytes are not a DER PKCS#10 request (" + e.getMessage()
                    + "); the agent must send CertificateRequests.csr output, not PEM", e);
        }
        PublicKey publicKey;
        try {
            // Converted here rather than by the verifier builder: that one asks the JCA for a
            // KeyFactory by OID, which the JDK's EC provider does not register.
            publicKey = new JcaPEMKeyConverter().getPublicKey(csr.getSubjectPublicKeyInfo());
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("certificate signing request is not valid: its public "
                    + "key cannot be read (" + e.getMessage() + "); use an EC P-256 key", e);
        }
        boolean signatureValid;
        try {
            signatureValid = csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(publicKey));
        } catch (OperatorCreationException | PKCSException | RuntimeException e) {
            throw new IllegalArgumentException("certificate signing request is not valid: cannot check "
                    + "its signature (" + e.getMessage() + "); use an EC P-256 key", e);
        }
        if (!signatureValid) {
            throw new IllegalArgumentException("certificate signing request is not valid: its signature "
                    + "does not verify with the public key it contains");
        }
        if (publicKey instanceof java.security.interfaces.RSAPublicKey rsa
                && rsa.getModulus().bitLength() < 2048) {
            throw new IllegalArgumentException("certificate signing request is not valid: its RSA key "
                    + "has " + rsa.getModulus().bitLength() + " bits, at least 2048 are required");
        }
        return publicKey;
    }

    private X509v3CertificateBuilder leaf(X500Name subject, PublicKey publicKey, Duration validity)
            throws GeneralSecurityException, CertIOException {
        if (validity == null || validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("certificate validity must be positive, got " + validity);
        }
        Instant now = clock.instant();
        Instant notAfter = now.plus(validity);
        Instant caNotAfter = certificate.getNotAfter().toInstant();
        if (notAfter.isAfter(caNotAfter)) {
            notAfter = caNotAfter;
        }
        Instant notBefore = now.minus(CLOCK_SKEW);
        if (!notAfter.isAfter(notBefore)) {
            throw new IllegalStateException("the CA expired on " + caNotAfter
                    + ": it cannot issue certificates; create a new CA and join every agent again");
        }
        JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
        BigInteger serial = Crypto.randomSerial();
        return new JcaX509v3CertificateBuilder(certificate, serial, Date.from(notBefore),
                Date.from(notAfter), subject, publicKey)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .addExtension(Extension.subjectKeyIdentifier, false,
                        extensions.createSubjectKeyIdentifier(publicKey))
                .addExtension(Extension.authorityKeyIdentifier, false,
                        extensions.createAuthorityKeyIdentifier(certificate));
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signingKey)
            throws GeneralSecurityException {
        try {
            var signer = new JcaContentSignerBuilder(Crypto.signatureAlgorithm(signingKey)).build(signingKey);
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    private static void requireCommonName(String commonName, String what) {
        if (commonName == null || commonName.isBlank()) {
            throw new IllegalArgumentException(what + " must not be blank");
        }
        if (commonName.length() > MAX_COMMON_NAME) {
            throw new IllegalArgumentException(what + " \"" + commonName + "\" is too long: "
                    + commonName.length() + " characters, at most " + MAX_COMMON_NAME + " are allowed");
        }
        if (commonName.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException(what + " \"" + commonName.replaceAll("\\p{Cntrl}", "?")
                    + "\" contains control characters");
        }
    }

    private static String truncate(String commonName) {
        return commonName.length() > MAX_COMMON_NAME ? commonName.substring(0, MAX_COMMON_NAME) : commonName;
    }
}
