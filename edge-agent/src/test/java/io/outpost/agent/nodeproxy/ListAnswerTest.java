package io.outpost.agent.nodeproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Splitting a LIST answer into its items' exact bytes without building a tree of the whole list. */
class ListAnswerTest {

  private static byte[] bytes(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void givenAPodList_whenParsed_thenKindVersionContinueAndEachItemsExactBytes() throws IOException {
    // Items that carry their type meta already: typedItems must hand back exactly the bytes sent.
    String first = "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"a\",\"namespace\":\"x\"},"
        + "\"spec\":{\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":80}]}]}}";
    String second = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"b\",\"namespace\":\"x\","
        + "\"labels\":{\"k\":\"v\"}}}";
    ListAnswer list = ListAnswer.parse(bytes("{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":"
        + "{\"resourceVersion\":\"42\",\"continue\":\"next\"},\"items\":[" + first + ", " + second + "]}"));

    assertEquals("PodList", list.kind());
    assertEquals("42", list.resourceVersion());
    assertEquals("next", list.continueToken());
    assertEquals(List.of(first, second), list.typedItems("Pod", "v1").stream()
        .map(b -> new String(b, StandardCharsets.UTF_8)).toList());
  }

  @Test
  void givenItemsWithoutTypeMeta_whenTyped_thenEachCarriesTheItemKindFirstAndKeepsItsOwnFields() throws IOException {
    ListAnswer list = ListAnswer.parse(bytes("{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"items\":["
        + "{\"metadata\":{\"name\":\"a\"}},{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"b\"}},{}]}"));

    assertEquals(List.of("{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"a\"}}",
            "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"b\"}}",
            "{\"kind\":\"Pod\",\"apiVersion\":\"v1\"}"),
        list.typedItems("Pod", "v1").stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList());
  }

  @Test
  void givenItemsNullOrMissingMetadata_whenParsed_thenNoItemsAndEmptyVersion() throws IOException {
    ListAnswer list = ListAnswer.parse(bytes("{\"items\":null,\"kind\":\"ConfigMapList\"}"));

    assertEquals(0, list.typedItems("ConfigMap", "v1").size());
    assertEquals("", list.resourceVersion());
    assertEquals("", list.continueToken());
  }

  @Test
  void givenNotAnObject_whenParsed_thenAnErrorSaysSo() {
    IOException e = assertThrows(IOException.class, () -> ListAnswer.parse(bytes("[1,2]")));
    assertEquals("a LIST answer is not a JSON object", e.getMessage());
  }
}
