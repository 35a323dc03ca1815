/*
 * functions_test_main.c - build/bin/functions-test: the product's functions plus the
 * test functions, for black-box contract tests.
 */
#include <stdio.h>

#include "index.h"
#include "test_functions.h"

int main(int argc, char **argv)
{
    ff_app *app = ff_app_new();
    ff_error err = {0};
    if (app == NULL || functions_register(app, &err) != 0 || test_functions_register(app, &err) != 0) {
        fprintf(stderr, "functions-test: cannot register functions: %s\n", err.message);
        return 2;
    }
    int rc = ff_main(app, argc, argv);
    ff_app_free(app);
    return rc;
}
