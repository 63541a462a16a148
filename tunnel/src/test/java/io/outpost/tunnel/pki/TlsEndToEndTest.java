package io.outpost.tunnel.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real grpc-java (Netty, shaded) server and clients over loopback TLS, with a hand-built unary
 * method whose answer is the common name of the client certificate the server saw.
 */
class TlsEndToEndTest {

    private static final MethodDescriptor.Marshaller<String> UTF8 = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };
    private static final MethodDescriptor<String, String> WHO_AM_I = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("outpost.test.Echo/WhoAmI")
            .setRequestMarshaller(UTF8)
            .setResponseMarshaller(UTF8)
            .build();
    private static final Context.Key<String> PEER = Context.key("peer-cn");
    private static final String NO_CLIENT_CERTIFICATE = "<no client certificate>";

    @TempDir
    Path dir;

    private CertificateAuthority ca;
    private Server server;
    private final AtomicInteger callsReachingTheService = new AtomicInteger();
    private final List<ManagedChannel> channels = new ArrayList<>();

    @BeforeEach
    void startServer() throws IOException {
        ca = CertificateAuthority.loadOrCreate(dir.resolve("hub-ca"), "outpost-test-ca", Clock.systemUTC());
        IssuedCertificate serverCertificate = ca.issueServer(List.of("localhost"), List.of("127.0.0.1"),
                Duration.ofHours(1));
        ServerServiceDefinition service = ServerServiceDefinition.builder("outpost.test.Echo")
                .addMethod(WHO_AM_I, ServerCalls.asyncUnaryCall((request, response) -> {
                    callsReachingTheService.incrementAndGet();
                    response.onNext(PEER.get());
                    response.onCompleted();
                }))
                .build();
        ServerInterceptor peerIdentity = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                String who = Tls.peerCertificate(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION))
                        .map(certificate -> Certificates.commonName(certificate).orElse("<no CN>"))
                        .orElse(NO_CLIENT_CERTIFICATE);
                return Contexts.interceptCall(Context.current().withValue(PEER, who), call, headers, next);
            }
        };
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                        Tls.serverCredentials(serverCertificate.chain(ca.certificate()),
                                serverCertificate.privateKey(), ca.certificate()))
                .addService(ServerInterceptors.intercept(service, peerIdentity))
                .build()
                .start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channels.forEach(ManagedChannel::shutdownNow);
        for (ManagedChannel channel : channels) {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        }
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void givenTheRightPin_whenJoining_thenTheCallSucceedsWithoutAClientCertificateAndTheCaIsCaptured() {
        PinnedCaTrustManager pinned = new PinnedCaTrustManager(ca.pin());

        String seen = call(Tls.pinnedJoinCredentials(pinned), Optional.empty());

        assertEquals(NO_CLIENT_CERTIFICATE, seen);
        assertEquals(Optional.of(ca.certificate()), pinned.matchedCa());
    }

    @Test
    void givenTheRightPin_whenJoiningByANameNotInTheServerCertificate_thenItStillSucceedsBecauseThePinIsTheTrustRoot() {
        PinnedCaTrustManager pinned = new PinnedCaTrustManager(ca.pin());

        String seen = call(Tls.pinnedJoinCredentials(pinned), Optional.of("hub.not-in-the-certificate.example"));

        assertEquals(NO_CLIENT_CERTIFICATE, seen);
    }

    @Test
    void givenAWrongPin_whenJoining_thenUnavailableAndTheMismatchMessageReachesTheCaller(@TempDir Path otherDir) {
        String otherPin = CertificateAuthority.loadOrCreate(otherDir, "other", Clock.systemUTC()).pin();
        PinnedCaTrustManager pinned = new PinnedCaTrustManager(otherPin);

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> call(Tls.pinnedJoinCredentials(pinned), Optional.empty()));

        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        String expected = "the hub's CA does not match --ca-hash: expected " + otherPin
                + ", the hub presented " + ca.pin();
        assertTrue(messages(e).stream().anyMatch(m -> m.contains(expected)), () -> String.join("\n", messages(e)));
        assertEquals(0, callsReachingTheService.get());
        assertEquals(Optional.empty(), pinned.matchedCa());
    }

    @Test
    void givenAClientCertificateFromTheHubCa_whenCallingWithMutualTls_thenTheServerSeesTheClusterName() {
        IssuedCertificate client = joinedAgent(ca, "edge-paris-1");

        String seen = call(Tls.mutualCredentials(client.certificate(), client.privateKey(), ca.certificate()),
                Optional.empty());

        assertEquals("edge-paris-1", seen);
    }

    @Test
    void givenAClientCertificateFromAnotherCa_whenCallingWithMutualTls_thenTheServerRejectsTheHandshake(
            @TempDir Path otherDir) {
        CertificateAuthority otherCa = CertificateAuthority.loadOrCreate(otherDir, "outpost-test-ca", Clock.systemUTC());
        IssuedCertificate impostor = joinedAgent(otherCa, "edge-paris-1");

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> call(Tls.mutualCredentials(impostor.certificate(), impostor.privateKey(), ca.certificate()),
                        Optional.empty()));

        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), () -> String.join("\n", messages(e)));
        assertEquals(0, callsReachingTheService.get());
    }

    @Test
    void givenMutualTls_whenDialingByANameNotInTheServerCertificate_thenHostNameVerificationRejectsTheHub() {
        IssuedCertificate client = joinedAgent(ca, "edge-paris-1");

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> call(Tls.mutualCredentials(client.certificate(), client.privateKey(), ca.certificate()),
                        Optional.of("hub.not-in-the-certificate.example")));

        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertTrue(messages(e).stream().anyMatch(m -> m.contains("hub.not-in-the-certificate.example")),
                () -> String.join("\n", messages(e)));
        assertEquals(0, callsReachingTheService.get());
    }

    @Test
    void givenAMutualClientTrustingAnotherCa_whenCalling_thenItRejectsTheHub(@TempDir Path otherDir) {
        CertificateAuthority otherCa = CertificateAuthority.loadOrCreate(otherDir, "other", Clock.systemUTC());
        IssuedCertificate client = joinedAgent(ca, "edge-paris-1");

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> call(Tls.mutualCredentials(client.certificate(), client.privateKey(), otherCa.certificate()),
                        Optional.empty()));

        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    }

    @Test
    void givenAPkcs12KeyStore_whenLoadedWithThePassword_thenItHoldsTheKeyAndChain() throws Exception {
        IssuedCertificate server = ca.issueServer(List.of("localhost"), List.of(), Duration.ofDays(1));
        Path file = dir.resolve("https/keystore.p12");
        char[] password = "changeit".toCharArray();

        Tls.writePkcs12(file, server.chain(ca.certificate()), server.privateKey(), password);

        java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
        try (InputStream in = java.nio.file.Files.newInputStream(file)) {
            store.load(in, password);
        }
        assertEquals(List.of("outpost"), java.util.Collections.list(store.aliases()));
        assertEquals(server.privateKey(), store.getKey("outpost", password));
        assertEquals(List.of(server.certificate(), ca.certificate()), List.of(store.getCertificateChain("outpost")));
    }

    // ---- helpers ----

    /** What an agent ends up with after Join: its own key and a certificate from {@code issuer}. */
    private static IssuedCertificate joinedAgent(CertificateAuthority issuer, String clusterName) {
        KeyPair keys = CertificateRequests.newKeyPair();
        X509Certificate certificate = issuer.signClient(CertificateRequests.csr(keys, clusterName), clusterName,
                Duration.ofHours(1));
        return new IssuedCertificate(certificate, keys.getPrivate());
    }

    private String call(ChannelCredentials credentials, Optional<String> authority) {
        var builder = Grpc.newChannelBuilderForAddress("127.0.0.1", server.getPort(), credentials);
        authority.ifPresent(builder::overrideAuthority);
        ManagedChannel channel = builder.build();
        channels.add(channel);
        return ClientCalls.blockingUnaryCall(channel, WHO_AM_I,
                CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS), "hello");
    }

    /** The status description and every message in the cause chain (and suppressed exceptions). */
    private static List<String> messages(Throwable top) {
        List<String> messages = new ArrayList<>();
        collect(top, messages, 0);
        return messages;
    }

    private static void collect(Throwable t, List<String> messages, int depth) {
        if (t == null || depth > 20) {
            return;
        }
        messages.add(t.getClass().getName() + ": " + t.getMessage());
        for (Throwable suppressed : t.getSuppressed()) {
            collect(suppressed, messages, depth + 1);
        }
        collect(t.getCause(), messages, depth + 1);
    }
}
