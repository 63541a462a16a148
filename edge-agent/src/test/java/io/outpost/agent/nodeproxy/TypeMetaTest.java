package io.outpost.agent.nodeproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Cached objects answered with their kind and apiVersion, without rewriting objects that have them. */
class TypeMetaTest {

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  private static byte[] bytes(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  private static String typed(String json) throws IOException {
    return new String(TypeMeta.typed(bytes(json), "Pod", "v1"), StandardCharsets.UTF_8);
  }

  @Test
  void givenTheApiServersOrderOrJacksons_whenTyped_thenTheSameBytesAreAnswered() throws IOException {
    byte[] apiServer = bytes("{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"a\"}}");
    byte[] fabric8 = bytes("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}}");

    assertSame(apiServer, TypeMeta.typed(apiServer, "Pod", "v1"));
    assertSame(fabric8, TypeMeta.typed(fabric8, "Pod", "v1"));
  }

  @Test
  void givenAListItemWithoutTypeMeta_whenTyped_thenKindAndApiVersionComeFirstAndTheRestIsUntouched()
      throws IOException {
    assertEquals("{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"a\",\"kind\":\"x\"}}",
        typed("{\"metadata\":{\"name\":\"a\",\"kind\":\"x\"}}"));
  }

  @Test
  void givenTypeMetaLaterOrHalfOfIt_whenTyped_thenOnlyTheMissingFieldIsAdded() throws IOException {
    String later = "{\"metadata\":{\"name\":\"a\"},\"apiVersion\":\"v1\",\"kind\":\"Pod\"}";
    assertEquals(later, typed(later));
    assertEquals("{\"kind\":\"Pod\",\"metadata\":{},\"apiVersion\":\"apps/v1\"}",
        typed("{\"metadata\":{},\"apiVersion\":\"apps/v1\"}"));
  }

  @Test
  void givenAnEmptyObjectOrANullKind_whenTyped_thenTheAnswerIsValidJsonWithOneKind() throws IOException {
    assertEquals("{\"kind\":\"Pod\",\"apiVersion\":\"v1\"}", typed("{}"));
    assertEquals("Pod", JSON.readTree(typed(" { } ")).path("kind").asText());
    assertEquals("{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{}}",
        typed("{\"kind\":null,\"apiVersion\":\"v1\",\"metadata\":{}}"));
    assertEquals("{\"kind\":\"Pod\",\"metadata\":{},\"apiVersion\":\"v1\"}", typed("{\"kind\":null,\"metadata\":{}}"));
  }

  @Test
  void givenAKindThatNeedsEscaping_whenSpliced_thenItIsQuoted() throws IOException {
    byte[] out = TypeMeta.typed(bytes("{\"metadata\":{}}"), "We\"ird", "v1");
    assertEquals("We\"ird", JSON.readTree(out).path("kind").asText());
  }

  @Test
  void givenSomethingThatIsNotAnObject_whenTyped_thenAnErrorSaysSo() {
    IOException e = assertThrows(IOException.class, () -> TypeMeta.typed(bytes("[1]"), "Pod", "v1"));
    assertEquals("a cached object is not a JSON object", e.getMessage());
  }
}
