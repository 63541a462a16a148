package io.outpost.hub.delivery;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks that a push webhook comes from the Git server that knows the source's secret, in the
 * forms the common servers send: GitHub ({@code X-Hub-Signature-256: sha256=HMAC}), Gitea and
 * Forgejo ({@code X-Gitea-Signature: HMAC}), both HMAC-SHA256 of the raw body in hex, and GitLab
 * ({@code X-Gitlab-Token: SECRET}). Comparisons take constant time.
 */
public final class WebhookSignature {

  /** The signature headers of one request; absent ones are null. */
  public record Headers(String githubSignature256, String giteaSignature, String gitlabToken) {}

  /** The request is not signed with the source's secret; the message says how it failed. */
  public static final class Refused extends RuntimeException {
    public Refused(String message) {
      super(message);
    }
  }

  private WebhookSignature() {}

  /** Returns which form matched ("github", "gitea", "gitlab"); throws {@link Refused} otherwise. */
  static String verify(byte[] secret, byte[] body, Headers headers) {
    if (headers.githubSignature256() != null) {
      String expected = "sha256=" + hmacHex(secret, body);
      return matches(expected, headers.githubSignature256().trim(), "github", "X-Hub-Signature-256");
    }
    if (headers.giteaSignature() != null) {
      return matches(hmacHex(secret, body), headers.giteaSignature().trim(), "gitea", "X-Gitea-Signature");
    }
    if (headers.gitlabToken() != null) {
      return matches(new String(secret, StandardCharsets.UTF_8), headers.gitlabToken(), "gitlab", "X-Gitlab-Token");
    }
    throw new Refused("the webhook is not signed: expected X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token");
  }

  private static String matches(String expected, String given, String form, String header) {
    if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8))) {
      throw new Refused("the webhook's " + header + " does not match the source's webhookSecret");
    }
    return form;
  }

  static String hmacHex(byte[] secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
    }
  }
}
