package io.workqueue.micrometer;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Wraps a real adapter or queue behind its interface: counts the calls of each method and, while a
 * method is armed, throws instead of calling through. Fault injection around real in-memory
 * backends, not a mock: every call that is not armed runs the real code.
 *
 * @param <T> the interface
 */
final class Faults<T> {
  private final T proxy;
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final Map<String, Supplier<RuntimeException>> armed = new ConcurrentHashMap<>();

  private Faults(Class<T> type, T delegate) {
    this.proxy =
        type.cast(
            Proxy.newProxyInstance(
                type.getClassLoader(),
                new Class<?>[] {type},
                (p, method, args) -> {
                  calls
                      .computeIfAbsent(method.getName(), m -> new AtomicInteger())
                      .incrementAndGet();
                  Supplier<RuntimeException> fault = armed.get(method.getName());
                  if (fault != null) {
                    throw fault.get();
                  }
                  try {
                    return method.invoke(delegate, args);
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  }
                }));
  }

  static <T> Faults<T> around(Class<T> type, T delegate) {
    return new Faults<>(type, delegate);
  }

  T proxy() {
    return proxy;
  }

  int calls(String method) {
    AtomicInteger n = calls.get(method);
    return n == null ? 0 : n.get();
  }

  void fail(String method, Supplier<RuntimeException> fault) {
    armed.put(method, fault);
  }

  void heal(String method) {
    armed.remove(method);
  }
}
