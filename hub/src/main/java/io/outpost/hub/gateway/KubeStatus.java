package io.outpost.hub.gateway;

import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.serde.annotation.Serdeable;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A Kubernetes {@code Status} object: what every gateway error looks like, so kubectl and client
 * libraries print the message instead of a parse error.
 */
@Serdeable
public record KubeStatus(String kind, String apiVersion, Map<String, String> metadata, String status,
    String message, String reason, int code) {

  public static KubeStatus failure(int code, String message) {
    return new KubeStatus("Status", "v1", Map.of(), "Failure", message, reasonOf(code), code);
  }

  public static MutableHttpResponse<KubeStatus> response(int code, String message) {
    return HttpResponse.<KubeStatus>status(code, reasonOf(code))
        .contentType(MediaType.APPLICATION_JSON_TYPE)
        .body(failure(code, message));
  }

  /** The JSON form, for answers that bypass the HTTP server's encoders (the gateway streams bytes). */
  public byte[] toJson() {
    String json = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
        + "\"message\":" + quote(message) + ",\"reason\":" + quote(reason) + ",\"code\":" + code + "}";
    return json.getBytes(StandardCharsets.UTF_8);
  }

  private static String quote(String text) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  public static String reasonOf(int code) {
    return switch (code) {
      case 400 -> "BadRequest";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "NotFound";
      case 409 -> "Conflict";
      case 413 -> "RequestEntityTooLarge";
      case 429 -> "TooManyRequests";
      case 503 -> "ServiceUnavailable";
      case 504 -> "Timeout";
      default -> code >= 500 ? "InternalError" : "Unknown";
    };
  }
}
