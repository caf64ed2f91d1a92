#include "lib/lazylib.h"

#include <dlfcn.h>
#include <stddef.h>

void *
lazylib_sym(struct lazylib *l, const char *name)
{
	if (!l->tried) {
		l->tried = 1;
		l->handle = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	}
	return l->handle != NULL ? dlsym(l->handle, name) : NULL;
}
