package io.outpost.tunnel.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {

    private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @TempDir
    Path dir;

    @Test
    void givenAnEmptyDirectory_whenLoadOrCreate_thenACaIsWrittenAndReloadingGivesTheSamePin() throws Exception {
        CertificateAuthority created = CertificateAuthority.loadOrCreate(dir.resolve("pki"), "outpost-ca", CLOCK);

        CertificateAuthority reloaded = CertificateAuthority.loadOrCreate(dir.resolve("pki"), "ignored", CLOCK);

        assertEquals(created.pin(), reloaded.pin());
        assertEquals(created.certificate(), reloaded.certificate());
        assertTrue(Files.exists(dir.resolve("pki/ca.crt")));
        assertTrue(Files.exists(dir.resolve("pki/ca.key")));
        assertTrue(Files.readString(dir.resolve("pki/ca.key")).startsWith("-----BEGIN PRIVATE KEY-----"));
    }

    @Test
    void givenANewCa_whenInspected_thenItIsAnEcP256CaValidForTenYearsThatSignsCertificatesAndCrls() {
        X509Certificate ca = CertificateAuthority.loadOrCreate(dir, "outpost-ca", CLOCK).certificate();

        assertEquals(new X500Principal("CN=outpost-ca"), ca.getSubjectX500Principal());
        assertEquals(ca.getSubjectX500Principal(), ca.getIssuerX500Principal());
        assertEquals("EC", ca.getPublicKey().getAlgorithm());
        assertTrue(((java.security.interfaces.ECPublicKey) ca.getPublicKey()).getParams().toString()
                .contains("secp256r1"), "curve");
        assertTrue(ca.getBasicConstraints() >= 0, "CA:TRUE");
        boolean[] usage = ca.getKeyUsage();
        assertTrue(usage[5] && usage[6], "keyCertSign and cRLSign");
        assertFalse(usage[0], "no digitalSignature");
        assertTrue(ca.getCriticalExtensionOIDs().containsAll(List.of("2.5.29.19", "2.5.29.15")));
        assertEquals(NOW.plus(Duration.ofDays(3650)), ca.getNotAfter().toInstant());
    }

    @Test
    void givenPosixFileSystem_whenCaIsCreated_thenTheKeyIsReadableByTheOwnerOnly() throws Exception {
        assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));

        CertificateAuthority.loadOrCreate(dir, "outpost-ca", CLOCK);

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.key"))));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.crt"))));
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary files left behind");
        }
    }

    @Test
    void givenACorruptCertificateFile_whenLoaded_thenIllegalStateNamesTheFile() throws Exception {
        CertificateAuthority.loadOrCreate(dir, "outpost-ca", CLOCK);
        Files.writeString(dir.resolve("ca.crt"), "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n");

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> CertificateAuthority.loadOrCreate(dir, "outpost-ca", CLOCK));

        assertTrue(e.getMessage().contains(dir.resolve("ca.crt").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    }

    @Test
    void givenACorruptKeyFile_whenLoaded_thenIllegalStateNamesTheFile() throws Exception {
        CertificateAuthority.loadOrCreate(dir, "outpost-ca", CLOCK);
        Files.writeString(dir.resolve("ca.key"), "garbage");

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> CertificateAuthority.loadOrCreate(dir, "outpost-ca", CLOCK));

        assertTrue(e.getMessage().contains(dir.resolve("ca.key").toString()), e.getMessage());
    }

    @Test
    void givenTheKeyOfAnotherCa_whenLoaded_thenIllegalStateSaysTheKeyDoesNotBelongToTheCertificate() throws Exception {
        CertificateAuthority.loadOrCreate(dir.resolve("a"), "a", CLOCK);
        CertificateAuthority.loadOrCreate(dir.resolve("b"), "b", CLOCK);
        Files.copy(dir.resolve("b/ca.key"), dir.resolve("a/ca.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> CertificateAuthority.loadOrCreate(dir.resolve("a"), "a", CLOCK));

        assertTrue(e.getMessage().contains(dir.resolve("a/ca.key").toString())
                && e.getMessage().contains("does not belong"), e.getMessage());
    }

    @Test
    void givenOnlyTheKeyFile_whenLoadOrCreate_thenItRefusesToOverwriteAndSaysWhatIsMissing() throws Exception {
        CertificateAuthority.loadOrCreate(dir, "outpost-ca", CLOCK);
        String key = Files.readString(dir.resolve("ca.key"));
        Files.delete(dir.resolve("ca.crt"));

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> CertificateAuthority.loadOrCreate(dir, "outpost-ca", CLOCK));

        assertTrue(e.getMessage().contains("but not " + dir.resolve("ca.crt")), e.getMessage());
        assertEquals(key, Files.readString(dir.resolve("ca.key")), "key untouched");
    }

    @Test
    void givenALeafCertificateInsteadOfTheCa_whenLoaded_thenRejectedAsNotACa() throws Exception {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir.resolve("real"), "outpost-ca", CLOCK);
        IssuedCertificate server = ca.issueServer(List.of("hub"), List.of(), Duration.ofDays(1));
        server.writePem(dir.resolve("fake/ca.crt"), dir.resolve("fake/ca.key"));

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> CertificateAuthority.loadOrCreate(dir.resolve("fake"), "outpost-ca", CLOCK));

        assertTrue(e.getMessage().contains("is not a CA certificate"), e.getMessage());
    }

    @Test
    void givenAGarbageCsr_whenSigned_thenTheErrorSaysTheRequestIsNotValid() {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir, "outpost-ca", CLOCK);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ca.signClient("not a csr".getBytes(), "edge-1", Duration.ofDays(30)));

        assertTrue(e.getMessage().startsWith("certificate signing request is not valid: "), e.getMessage());
    }

    @Test
    void givenAnEmptyCsr_whenSigned_thenTheErrorSaysItIsEmpty() {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir, "outpost-ca", CLOCK);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ca.signClient(new byte[0], "edge-1", Duration.ofDays(30)));

        assertTrue(e.getMessage().startsWith("certificate signing request is not valid: it is empty"), e.getMessage());
    }

    @Test
    void givenACsrSignedWithAnotherKey_whenSigned_thenTheErrorSaysTheSignatureDoesNotVerify() throws Exception {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir, "outpost-ca", CLOCK);
        KeyPair claimed = CertificateRequests.newKeyPair();
        KeyPair signer = CertificateRequests.newKeyPair();
        byte[] csr = new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(
                new X500Principal("CN=edge-1"), claimed.getPublic())
                .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA")
                        .build(signer.getPrivate()))
                .getEncoded();

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ca.signClient(csr, "edge-1", Duration.ofDays(30)));

        assertEquals("certificate signing request is not valid: its signature does not verify with the "
                + "public key it contains", e.getMessage());
    }

    @Test
    void givenAValidCsr_whenSigned_thenTheCertificateNamesTheClusterIsForClientAuthAndVerifies() throws Exception {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir, "outpost-ca", CLOCK);
        KeyPair keys = CertificateRequests.newKeyPair();

        X509Certificate client = ca.signClient(CertificateRequests.csr(keys, "whatever-the-agent-asked"),
                "edge-paris-1", Duration.ofDays(30));

        assertEquals(new X500Principal("CN=edge-paris-1, O=outpost:agents"), client.getSubjectX500Principal());
        assertEquals("edge-paris-1", Certificates.commonName(client).orElseThrow());
        assertEquals(List.of("1.3.6.1.5.5.7.3.2"), client.getExtendedKeyUsage());
        assertEquals(-1, client.getBasicConstraints());
        assertEquals(keys.getPublic(), client.getPublicKey());
        client.verify(ca.certificate().getPublicKey());
        assertTrue(client.getSerialNumber().signum() > 0 && client.getSerialNumber().bitLength() <= 128);
        assertEquals(NOW.plus(Duration.ofDays(30)), client.getNotAfter().toInstant());
        assertTrue(ca.issued(client));
    }

    @Test
    void givenTwoCsrs_whenSigned_thenSerialsDiffer() {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir, "outpost-ca", CLOCK);
        List<java.math.BigInteger> serials = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            serials.add(ca.signClient(CertificateRequests.csr(CertificateRequests.newKeyPair(), "x"), "x",
                    Duration.ofDays(1)).getSerialNumber());
        }
        assertNotEquals(serials.get(0), serials.get(1));
    }

    @Test
    void givenACertificateFromAnotherCa_whenAskedIfIssued_thenFalse() {
        CertificateAuthority ours = CertificateAuthority.loadOrCreate(dir.resolve("ours"), "outpost-ca", CLOCK);
        CertificateAuthority theirs = CertificateAuthority.loadOrCreate(dir.resolve("theirs"), "outpost-ca", CLOCK);
        X509Certificate foreign = theirs.signClient(CertificateRequests.csr(CertificateRequests.newKeyPair(), "x"),
                "edge-1", Duration.ofDays(30));

        assertFalse(ours.issued(foreign), "same subject name, different key");
        assertTrue(theirs.issued(foreign));
        assertFalse(ours.issued(null));
    }

    @Test
    void givenAnExpiredCertificate_whenAskedIfIssued_thenFalse() {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir, "outpost-ca", CLOCK);
        X509Certificate client = ca.signClient(CertificateRequests.csr(CertificateRequests.newKeyPair(), "x"),
                "edge-1", Duration.ofDays(30));
        CertificateAuthority later = CertificateAuthority.loadOrCreate(dir, "outpost-ca",
                Clock.fixed(NOW.plus(Duration.ofDays(31)), ZoneOffset.UTC));

        assertFalse(later.issued(client));
    }

    @Test
    void givenAValidityBeyondTheCa_whenSigned_thenTheCertificateEndsWithTheCa() {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir, "outpost-ca", CLOCK);

        X509Certificate client = ca.signClient(CertificateRequests.csr(CertificateRequests.newKeyPair(), "x"),
                "edge-1", Duration.ofDays(20_000));

        assertEquals(ca.certificate().getNotAfter(), client.getNotAfter());
    }

    @Test
    void givenNamesAndAddresses_whenIssuingAServerCertificate_thenItHasServerAuthAndTheSans() throws Exception {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir, "outpost-ca", CLOCK);

        IssuedCertificate server = ca.issueServer(List.of("hub.example.com", "localhost"),
                List.of("127.0.0.1", "::1"), Duration.ofDays(90));

        X509Certificate certificate = server.certificate();
        assertEquals(List.of("1.3.6.1.5.5.7.3.1"), certificate.getExtendedKeyUsage());
        List<String> sans = new ArrayList<>();
        for (List<?> san : certificate.getSubjectAlternativeNames()) {
            sans.add(san.get(0) + ":" + san.get(1));
        }
        assertEquals(List.of("2:hub.example.com", "2:localhost", "7:127.0.0.1", "7:0:0:0:0:0:0:0:1"), sans);
        assertEquals("hub.example.com", Certificates.commonName(certificate).orElseThrow());
        assertTrue(ca.issued(certificate));
        assertTrue(Crypto.matches(server.privateKey(), certificate.getPublicKey()));
    }

    @Test
    void givenAHostNameAsIpAddress_whenIssuingAServerCertificate_thenRejectedWithoutADnsLookup() {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir, "outpost-ca", CLOCK);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ca.issueServer(List.of(), List.of("hub.example.com"), Duration.ofDays(1)));

        assertTrue(e.getMessage().contains("\"hub.example.com\" is not valid"), e.getMessage());
    }

    @Test
    void givenNoNames_whenIssuingAServerCertificate_thenRejected() {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir, "outpost-ca", CLOCK);

        assertThrows(IllegalArgumentException.class, () -> ca.issueServer(List.of(), List.of(), Duration.ofDays(1)));
    }

    @Test
    void givenANonPositiveValidity_whenSigning_thenRejected() {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir, "outpost-ca", CLOCK);
        byte[] csr = CertificateRequests.csr(CertificateRequests.newKeyPair(), "x");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ca.signClient(csr, "edge-1", Duration.ZERO));

        assertTrue(e.getMessage().contains("validity must be positive"), e.getMessage());
    }

    @Test
    void givenAnIssuedServerCertificate_whenWrittenAndReadAsPem_thenTheSameCertificateAndKeyComeBack() throws Exception {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir, "outpost-ca", CLOCK);
        IssuedCertificate server = ca.issueServer(List.of("hub"), List.of(), Duration.ofDays(1));

        server.writePem(dir.resolve("server.crt"), dir.resolve("server.key"));
        IssuedCertificate read = IssuedCertificate.readPem(dir.resolve("server.crt"), dir.resolve("server.key"));

        assertEquals(server.certificate(), read.certificate());
        assertArrayEquals(server.privateKey().getEncoded(), read.privateKey().getEncoded());
        assertTrue(server.toString().startsWith("IssuedCertificate[subject=CN=hub, serial="), server.toString());
    }
}
