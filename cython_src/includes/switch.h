/* The contract every stub in asm/ implements (see the header of any stub). */
#ifndef ACTORS_SWITCH_H
#define ACTORS_SWITCH_H

typedef void *(*actors_save_fn)(void *sp, void *arg);
typedef void (*actors_restore_fn)(void *arg);

/* Returns 0 in a resumed context, -1 when save returned NULL. */
int actors_switch_stack(actors_save_fn save, actors_restore_fn restore, void *arg);

#endif
