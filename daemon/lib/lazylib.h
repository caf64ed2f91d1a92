/* lazylib: a shared library opened (dlopen) the first time one of its functions is called,
 * so that a program start does not pay for loading what this run never uses.  A loader
 * (io/curl_lazy.c, io/ical_lazy.c) defines the library's functions with their real
 * prototypes through LAZY_FORWARD; each resolves its real function once. */
#ifndef KAPD_LAZYLIB_H
#define KAPD_LAZYLIB_H

struct lazylib {
	const char *soname; /* "libcurl.so.4" */
	void *handle;
	int tried;
};

/* The address of name in the library (opened at the first call), or NULL when the
 * library or the name cannot be found. */
void *lazylib_sym(struct lazylib *l, const char *name);

/* Defines ret name params, forwarding args to the real function of lib, or giving fail
 * when it cannot be loaded. */
#define LAZY_FORWARD(lib, ret, name, params, args, fail)                                           \
	ret name params                                                                            \
	{                                                                                          \
		static ret(*real) params;                                                          \
		if (real == NULL)                                                                  \
			*(void **)&real = lazylib_sym(&(lib), #name);                              \
		return real != NULL ? real args : (fail);                                          \
	}
/* The same for a function returning nothing. */
#define LAZY_FORWARD_VOID(lib, name, params, args)                                                 \
	void name params                                                                           \
	{                                                                                          \
		static void(*real) params;                                                         \
		if (real == NULL)                                                                  \
			*(void **)&real = lazylib_sym(&(lib), #name);                              \
		if (real != NULL)                                                                  \
			real args;                                                                 \
	}

#endif
