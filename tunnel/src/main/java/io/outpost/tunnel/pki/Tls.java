package io.outpost.tunnel.pki;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * grpc-java TLS credentials (and a PKCS#12 key store for HTTPS) built from in-memory certificates
 * and keys.
 *
 * <pre>{@code
 * // hub
 * Server server = Grpc.newServerBuilderForPort(8443,
 *         Tls.serverCredentials(serverCert.chain(ca.certificate()), serverCert.privateKey(), ca.certificate()))
 *     .addService(tunnelService).build().start();
 * // in a ServerInterceptor / service, for every RPC but Join:
 * Optional<X509Certificate> peer = Tls.peerCertificate(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
 *
 * // agent, join
 * var pinned = new PinnedCaTrustManager(CaPin.parse(caHash));
 * ManagedChannel join = Grpc.newChannelBuilderForAddress(host, port, Tls.pinnedJoinCredentials(pinned)).build();
 * // agent, afterwards
 * ManagedChannel tunnel = Grpc.newChannelBuilderForAddress(host, port,
 *         Tls.mutualCredentials(clientCert, clientKey, hubCa)).build();
 * }</pre>
 *
 * <p>Key managers built here always present their one certificate, whatever CA names the peer
 * asks for: a certificate the server does not trust is then rejected in the handshake instead of
 * being silently withheld.
 */
public final class Tls {

    private static final String ALIAS = "outpost";

    private Tls() {
    }

    /**
     * Server credentials for the hub's gRPC port.
     *
     * <p>The server presents {@code chain} (leaf first, then the CA, so a pinning client can see the
     * CA). Client certificates are OPTIONAL: the Join call comes without one; when one is presented it
     * must validate against {@code clientCa} (PKIX, clientAuth usage) or the handshake fails. RPCs
     * that need a client identity must check {@link #peerCertificate} themselves.
     *
     * @param chain the server certificate followed by its issuers (at least the leaf)
     * @param key the server certificate's private key
     * @param clientCa the CA that signs agents' client certificates
     */
    public static ServerCredentials serverCredentials(X509Certificate[] chain, PrivateKey key,
            X509Certificate clientCa) {
        return TlsServerCredentials.newBuilder()
                .keyManager(keyManager(chain, key))
                .trustManager(trustManager(clientCa))
                .clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL)
                .build();
    }

    /**
     * Client credentials for the Join call: no client certificate, the server trusted through
     * {@code trustManager}'s pin only (no host name check, see {@link PinnedCaTrustManager}).
     */
    public static ChannelCredentials pinnedJoinCredentials(PinnedCaTrustManager trustManager) {
        return TlsChannelCredentials.newBuilder()
                .trustManager(Objects.requireNonNull(trustManager, "trustManager"))
                .build();
    }

    /**
     * Client credentials for every call after Join: present {@code clientCertificate}, trust only
     * servers whose certificate is signed by {@code ca}, with the usual host name verification (the
     * address dialled must be a DNS or IP subject alternative name of the hub's certificate).
     */
    public static ChannelCredentials mutualCredentials(X509Certificate clientCertificate,
            PrivateKey key, X509Certificate ca) {
        return TlsChannelCredentials.newBuilder()
                .keyManager(keyManager(new X509Certificate[] {clientCertificate}, key))
                .trustManager(trustManager(ca))
                .build();
    }

    /**
     * The peer's (client's) certificate of a TLS session, if it presented one.
     *
     * @param session e.g. {@code call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION)}; may be
     *     {@code null} (plaintext)
     */
    public static Optional<X509Certificate> peerCertificate(SSLSession session) {
        if (session == null) {
            return Optional.empty();
        }
        try {
            Certificate[] certificates = session.getPeerCertificates();
            return certificates.length > 0 && certificates[0] instanceof X509Certificate x509
                    ? Optional.of(x509) : Optional.empty();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    /**
     * A trust manager that trusts exactly the certificates signed by {@code ca} (PKIX, JDK
     * provider). As a client trust manager it verifies host names when the TLS engine asks for it,
     * as grpc-java does.
     */
    public static X509ExtendedTrustManager trustManager(X509Certificate ca) {
        Objects.requireNonNull(ca, "ca");
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("ca", ca);
            TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
            factory.init(store);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509ExtendedTrustManager x509) {
                    return x509;
                }
            }
            throw new IllegalStateException("the JDK's PKIX TrustManagerFactory returned no X509ExtendedTrustManager");
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a trust manager for CA "
                    + ca.getSubjectX500Principal().getName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * A key manager that always presents {@code chain} with {@code key}, as client or server,
     * whatever issuers the peer asks for.
     *
     * @throws IllegalArgumentException if the chain is empty or the key does not belong to its first
     *     certificate
     */
    public static X509ExtendedKeyManager keyManager(X509Certificate[] chain, PrivateKey key) {
        return new FixedKeyManager(chain, key);
    }

    /**
     * Atomically writes a PKCS#12 key store holding {@code key} with {@code chain} under the alias
     * {@code outpost} (mode 600 on POSIX), e.g. for Micronaut's
     * {@code micronaut.ssl.key-store.path: file:...} with type PKCS12.
     *
     * @throws IllegalArgumentException if the chain is empty or the key does not belong to it
     * @throws IOException if the file cannot be written
     */
    public static void writePkcs12(Path file, X509Certificate[] chain, PrivateKey key, char[] password)
            throws IOException {
        requireMatchingChain(chain, key);
        Objects.requireNonNull(password, "password");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(ALIAS, key, password, chain);
            store.store(bytes, password);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build a PKCS#12 key store for " + file + ": "
                    + e.getMessage(), e);
        }
        Pem.writeAtomically(file, bytes.toByteArray(), true);
    }

    private static void requireMatchingChain(X509Certificate[] chain, PrivateKey key) {
        Objects.requireNonNull(key, "key");
        if (chain == null || chain.length == 0 || Arrays.asList(chain).contains(null)) {
            throw new IllegalArgumentException("a certificate chain needs at least the leaf certificate "
                    + "and no null entries");
        }
        if (!Crypto.matches(key, chain[0].getPublicKey())) {
            throw new IllegalArgumentException("the private key does not belong to the certificate "
                    + chain[0].getSubjectX500Principal().getName() + " at the head of the chain");
        }
    }

    /** Presents one fixed certificate chain; see {@link #keyManager}. */
    private static final class FixedKeyManager extends X509ExtendedKeyManager {
        private final X509Certificate[] chain;
        private final PrivateKey key;
        private final String algorithm;

        FixedKeyManager(X509Certificate[] chain, PrivateKey key) {
            requireMatchingChain(chain, key);
            this.chain = chain.clone();
            this.key = key;
            this.algorithm = key.getAlgorithm();
        }

        /**
         * True for key types naming our key's algorithm: "EC", "RSA", and the TLS 1.2 forms such as
         * "EC_EC", "EC_RSA" (JDK) or OpenSSL's; null/unknown types are accepted rather than
         * withholding the certificate.
         */
        private boolean fits(String keyType) {
            if (keyType == null) {
                return true;
            }
            if (keyType.equals(algorithm) || keyType.startsWith(algorithm + "_")) {
                return true;
            }
            return "RSA".equals(algorithm) && keyType.startsWith("RSASSA");
        }

        private String[] aliases(String keyType) {
            return fits(keyType) ? new String[] {ALIAS} : null;
        }

        private String choose(String[] keyTypes) {
            if (keyTypes == null) {
                return ALIAS;
            }
            for (String keyType : keyTypes) {
                if (fits(keyType)) {
                    return ALIAS;
                }
            }
            return null;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return aliases(keyType);
        }

        @Override
        public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
            return choose(keyTypes);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
            return choose(keyTypes);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return aliases(keyType);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return fits(keyType) ? ALIAS : null;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return fits(keyType) ? ALIAS : null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return ALIAS.equals(alias) ? chain.clone() : null;
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return ALIAS.equals(alias) ? key : null;
        }
    }
}
