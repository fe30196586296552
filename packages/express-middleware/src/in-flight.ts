/** The links a request's state carries while it is in flight. */
export interface InFlightNode<T> {
  prevInFlight: T | undefined;
  nextInFlight: T | undefined;
}

/**
 * The requests in flight, oldest first, as a doubly linked list through the requests' own state: no table, no
 * per-request allocation. A `Set` did this before; its hash table lives long (old generation) and each rehash left
 * a dead table still pointing at finished requests, which young-generation collections then kept alive (promoted,
 * with their whole request) until the next full collection. Here a request's links are cleared as it leaves.
 */
export class InFlightList<T extends InFlightNode<T>> {
  private head: T | undefined;
  private tail: T | undefined;
  /** Requests in the list. */
  size = 0;

  /** The oldest request in flight. */
  first(): T | undefined {
    return this.head;
  }

  /** Appends a request that is not in the list. */
  add(node: T): void {
    node.prevInFlight = this.tail;
    node.nextInFlight = undefined;
    if (this.tail) this.tail.nextInFlight = node;
    else this.head = node;
    this.tail = node;
    this.size++;
  }

  /** Removes a request; does nothing when it is not in the list (already removed). */
  delete(node: T): void {
    if (node.prevInFlight === undefined && this.head !== node) return;
    const { prevInFlight: prev, nextInFlight: next } = node;
    if (prev) prev.nextInFlight = next;
    else this.head = next;
    if (next) next.prevInFlight = prev;
    else this.tail = prev;
    node.prevInFlight = node.nextInFlight = undefined;
    this.size--;
  }
}
