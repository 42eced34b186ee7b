/*
 * The lock letters: one legend for the whole tree.  Every field that more
 * than one CPU may touch carries one of these in its comment; the struct's
 * comment names what the letter leaves open (which CPU owns it, which
 * release pairs with which acquire).  docs/mm.md ("Locking rules") walks
 * through memory init's fields one by one.  This header holds no code.
 *
 *   (C)  constant: written once before the structure is shared (setup, a
 *        constructor, a CPU coming online), read-only afterwards.
 *   (B)  boot CPU only: nobody else reads or writes it.
 *   (R)  written by the requester (the CPU that starts a cross-call)
 *        before the call starts; the called CPUs read it after the call's
 *        acquire (smp/call.c orders them).
 *   (A)  atomic: accessed only through the C11 __atomic builtins; the order
 *        (relaxed, acquire/release, seq_cst) and, for a release, the
 *        acquire it pairs with are named at the field or its access.
 *   (L)  under the node lock (struct mm_node.lock, include/mm.h).
 *   (S)  under an init request's splice_lock (include/meminit_request.h).
 *   (Q)  under a CPU's cross-call queue lock (include/percpu.h).
 *   (O)  its owner's: written only by the owner the struct names (the CPU
 *        of a per-CPU field; whoever holds an allocated page); others read
 *        it only when the owner is known to be quiet.
 *   (W)  one writer: written only by the one CPU the struct names (the CPU
 *        that ran a chunk; a workload CPU for its own state), read by others
 *        only after that CPU's release named there (a chunk's done[] flag,
 *        the pause handshake).
 *   (I)  written by the range initializer only, on the CPU running the
 *        chunk, before the chunk is published; constant afterwards unless
 *        another letter says so.
 *   (D)  a request's worker figures: relaxed atomics each worker writes
 *        before the release of a done[] flag of a chunk it ran; final once
 *        the request's complete flag is acquired.
 */
#ifndef NUMABOOT_LOCKING_H
#define NUMABOOT_LOCKING_H
#endif
