package io.outpost.tunnel.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemTest {

    @TempDir
    Path dir;

    @Test
    void givenAChain_whenWrittenAndRead_thenTheCertificatesComeBackInOrder() throws Exception {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir.resolve("ca"), "outpost-ca", Clock.systemUTC());
        IssuedCertificate server = ca.issueServer(List.of("hub"), List.of(), Duration.ofDays(1));

        Pem.write(dir.resolve("chain.pem"), server.chain(ca.certificate()));

        assertEquals(List.of(server.certificate(), ca.certificate()), Pem.readCertificates(dir.resolve("chain.pem")));
        assertTrue(Files.readString(dir.resolve("chain.pem")).startsWith("-----BEGIN CERTIFICATE-----\n"));
    }

    @Test
    void givenAKey_whenEncodedAndDecoded_thenItIsPkcs8AndEqual() {
        KeyPair keys = CertificateRequests.newKeyPair();

        String pem = Pem.encode(keys.getPrivate());

        assertTrue(pem.startsWith("-----BEGIN PRIVATE KEY-----\n") && pem.endsWith("-----END PRIVATE KEY-----\n"), pem);
        assertArrayEquals(keys.getPrivate().getEncoded(), Pem.decodePrivateKey(pem, "test").getEncoded());
    }

    @Test
    void givenAnOpenSslEcPrivateKey_whenDecoded_thenAccepted() {
        // a throwaway key from: openssl ecparam -name prime256v1 -genkey -noout
        String pem = """
                -----BEGIN EC PRIVATE KEY-----
                MHcCAQEEIAtIFctZ5F1Y/DEp9GT4UkziRL+9Mx+fGafJ9N66/FKdoAoGCCqGSM49
                AwEHoUQDQgAE1iRpias2yG9dZ7FOidW/kWqcXZ+2Hl22U5U+OEqD46p/os1dgzyX
                LPf5yfPjXDxN3j3PW/CSyLp4xx3KElq5ZQ==
                -----END EC PRIVATE KEY-----
                """;

        assertEquals("EC", Pem.decodePrivateKey(pem, "openssl.key").getAlgorithm());
    }

    @Test
    void givenNoCertificate_whenReading_thenTheMessageNamesTheFile() throws Exception {
        Path file = dir.resolve("empty.pem");
        Files.writeString(file, "hello\n");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pem.readCertificates(file));

        assertTrue(e.getMessage().startsWith(file + " holds no PEM certificate"), e.getMessage());
    }

    @Test
    void givenACertificateFile_whenReadAsAKey_thenTheMessageSaysThereIsNoKey() throws Exception {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir.resolve("ca"), "outpost-ca", Clock.systemUTC());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Pem.readPrivateKey(dir.resolve("ca/ca.crt")));

        assertTrue(e.getMessage().contains("ca.crt holds no PEM private key"), e.getMessage());
    }

    @Test
    void givenAnExistingFile_whenWrittenAtomically_thenReplacedAndNoTemporaryFileRemains() throws Exception {
        Path file = dir.resolve("sub/dir/file.txt");
        Pem.writeAtomically(file, "old".getBytes(), false);

        Pem.writeAtomically(file, "new".getBytes(), true);

        assertEquals("new", Files.readString(file));
        try (var files = Files.list(file.getParent())) {
            assertEquals(List.of(file), files.toList());
        }
    }
}
