package io.outpost.e2e.support;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Records what a gRPC call answered: its messages and how it ended (OK when completed). */
public final class CallOutcome<T> implements StreamObserver<T> {

  private final List<T> messages = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Status> status = new CompletableFuture<>();

  @Override
  public void onNext(T message) {
    messages.add(message);
  }

  @Override
  public void onError(Throwable t) {
    status.complete(Status.fromThrowable(t));
  }

  @Override
  public void onCompleted() {
    status.complete(Status.OK);
  }

  /** Whether the call has ended, either way. */
  public boolean isDone() {
    return status.isDone();
  }

  public List<T> messages() {
    return List.copyOf(messages);
  }

  /** The call's final status; fails the test if the call has not ended within {@code timeout}. */
  public Status awaitStatus(Duration timeout) {
    try {
      return status.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("the call did not end within " + timeout.toSeconds() + " s (received "
          + messages.size() + " messages: " + messages + ")", e);
    } catch (ExecutionException e) {
      throw new AssertionError(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
