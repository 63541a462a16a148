package io.outpost.tunnel.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PinnedCaTrustManagerTest {

    private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @TempDir
    Path dir;

    private CertificateAuthority hubCa;
    private CertificateAuthority otherCa;
    private IssuedCertificate hubServer;

    @BeforeEach
    void setUp() {
        hubCa = CertificateAuthority.loadOrCreate(dir.resolve("hub"), "outpost-ca", CLOCK);
        otherCa = CertificateAuthority.loadOrCreate(dir.resolve("other"), "outpost-ca", CLOCK);
        hubServer = hubCa.issueServer(List.of("hub.example.com"), List.of(), Duration.ofDays(90));
    }

    @Test
    void givenTheRightPin_whenTheHubPresentsLeafAndCa_thenTrustedAndTheCaIsRecorded() throws Exception {
        PinnedCaTrustManager trustManager = new PinnedCaTrustManager(hubCa.pin(), CLOCK);
        assertEquals(Optional.empty(), trustManager.matchedCa());

        trustManager.checkServerTrusted(hubServer.chain(hubCa.certificate()), "ECDHE_ECDSA");

        assertEquals(Optional.of(hubCa.certificate()), trustManager.matchedCa());
    }

    @Test
    void givenThePinInUpperCase_whenChecking_thenItStillMatches() throws Exception {
        PinnedCaTrustManager trustManager = new PinnedCaTrustManager(hubCa.pin().toUpperCase(), CLOCK);

        trustManager.checkServerTrusted(hubServer.chain(hubCa.certificate()), "ECDHE_ECDSA");

        assertEquals(hubCa.pin(), trustManager.expectedPin());
    }

    @Test
    void givenAnotherCasPin_whenChecking_thenRejectedWithExpectedAndPresentedPins() {
        PinnedCaTrustManager trustManager = new PinnedCaTrustManager(otherCa.pin(), CLOCK);

        CertificateException e = assertThrows(CertificateException.class,
                () -> trustManager.checkServerTrusted(hubServer.chain(hubCa.certificate()), "ECDHE_ECDSA"));

        assertTrue(e.getMessage().startsWith("the hub's CA does not match --ca-hash: expected " + otherCa.pin()
                + ", the hub presented " + hubCa.pin()), e.getMessage());
        assertEquals(Optional.empty(), trustManager.matchedCa());
    }

    @Test
    void givenAnImpostorThatAppendsTheRealCaToItsOwnLeaf_whenChecking_thenRejectedBecauseTheLeafDoesNotValidate() {
        IssuedCertificate impostor = otherCa.issueServer(List.of("hub.example.com"), List.of(), Duration.ofDays(90));
        PinnedCaTrustManager trustManager = new PinnedCaTrustManager(hubCa.pin(), CLOCK);

        CertificateException e = assertThrows(CertificateException.class,
                () -> trustManager.checkServerTrusted(impostor.chain(hubCa.certificate()), "ECDHE_ECDSA"));

        assertTrue(e.getMessage().startsWith("the hub's certificate does not validate against its CA"), e.getMessage());
        assertEquals(Optional.empty(), trustManager.matchedCa());
    }

    @Test
    void givenAnImpostorThatInsertsItsOwnCaBeforeTheRealOne_whenChecking_thenRejected() {
        IssuedCertificate impostor = otherCa.issueServer(List.of("hub.example.com"), List.of(), Duration.ofDays(90));
        PinnedCaTrustManager trustManager = new PinnedCaTrustManager(hubCa.pin(), CLOCK);

        assertThrows(CertificateException.class, () -> trustManager.checkServerTrusted(
                impostor.chain(otherCa.certificate(), hubCa.certificate()), "ECDHE_ECDSA"));
    }

    @Test
    void givenAHubThatSendsOnlyItsLeaf_whenChecking_thenRejectedSayingTheCaIsMissing() {
        PinnedCaTrustManager trustManager = new PinnedCaTrustManager(hubCa.pin(), CLOCK);

        CertificateException e = assertThrows(CertificateException.class,
                () -> trustManager.checkServerTrusted(hubServer.chain(), "ECDHE_ECDSA"));

        assertTrue(e.getMessage().startsWith("the hub did not present a CA certificate"), e.getMessage());
    }

    @Test
    void givenAnExpiredServerCertificate_whenChecking_thenRejected() {
        PinnedCaTrustManager trustManager = new PinnedCaTrustManager(hubCa.pin(),
                Clock.fixed(NOW.plus(Duration.ofDays(91)), ZoneOffset.UTC));

        CertificateException e = assertThrows(CertificateException.class,
                () -> trustManager.checkServerTrusted(hubServer.chain(hubCa.certificate()), "ECDHE_ECDSA"));

        assertTrue(e.getMessage().startsWith("the hub's certificate does not validate"), e.getMessage());
    }

    @Test
    void givenAClientCertificatePresentedAsServer_whenChecking_thenRejectedForItsKeyUsage() {
        X509Certificate client = hubCa.signClient(CertificateRequests.csr(CertificateRequests.newKeyPair(), "x"),
                "edge-1", Duration.ofDays(1));
        PinnedCaTrustManager trustManager = new PinnedCaTrustManager(hubCa.pin(), CLOCK);

        CertificateException e = assertThrows(CertificateException.class,
                () -> trustManager.checkServerTrusted(new X509Certificate[] {client, hubCa.certificate()}, "ECDHE_ECDSA"));

        assertTrue(e.getMessage().contains("no serverAuth"), e.getMessage());
    }

    @Test
    void givenAnInvalidPin_whenConstructing_thenTheCaHashErrorIsRaised() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PinnedCaTrustManager("xyz"));

        assertTrue(e.getMessage().startsWith("--ca-hash \"xyz\" is not valid"), e.getMessage());
    }

    @Test
    void givenAClientChain_whenAskedToCheckIt_thenRefusedBecauseItIsAClientOnlyTrustManager() {
        PinnedCaTrustManager trustManager = new PinnedCaTrustManager(hubCa.pin(), CLOCK);

        assertThrows(CertificateException.class,
                () -> trustManager.checkClientTrusted(hubServer.chain(hubCa.certificate()), "EC"));
        assertEquals(0, trustManager.getAcceptedIssuers().length);
    }
}
