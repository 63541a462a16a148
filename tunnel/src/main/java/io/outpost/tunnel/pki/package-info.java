/**
 * Identity for the Outpost tunnel: the hub's certificate authority, the agents' join-time CA
 * pinning and the gRPC TLS credentials built from in-memory keys and certificates.
 *
 * <p>The flow, kubeadm-style:
 * <ol>
 *   <li>The hub calls {@link io.outpost.tunnel.pki.CertificateAuthority#loadOrCreate} on start,
 *       prints {@link io.outpost.tunnel.pki.CertificateAuthority#pin()} and serves with
 *       {@link io.outpost.tunnel.pki.Tls#serverCredentials} (chain = server leaf + CA, client
 *       certificates optional).</li>
 *   <li>{@code outpost agent join --hub HOST:PORT --token T --ca-hash sha256:HEX}: the agent makes a
 *       key pair and CSR with {@link io.outpost.tunnel.pki.CertificateRequests}, dials with
 *       {@link io.outpost.tunnel.pki.Tls#pinnedJoinCredentials} and a
 *       {@link io.outpost.tunnel.pki.PinnedCaTrustManager}, and keeps the CA the trust manager
 *       matched.</li>
 *   <li>The hub signs the CSR with
 *       {@link io.outpost.tunnel.pki.CertificateAuthority#signClient}; from then on the agent uses
 *       {@link io.outpost.tunnel.pki.Tls#mutualCredentials} and renews when
 *       {@link io.outpost.tunnel.pki.Certificates#renewalDue} says so.</li>
 * </ol>
 *
 * <p>No JCA provider is registered: keys, signatures and certificate parsing use the JDK's
 * providers; BouncyCastle is used only for ASN.1, certificate/CSR building and PEM parsing.
 */
package io.outpost.tunnel.pki;
