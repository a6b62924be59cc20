/*-------------------------------------------------------------------------
 *
 * onnx_pb.c
 *	  The protobuf-c code that protoc-c generates from onnx_ml.proto.
 *
 * The generated file lives in build/onnx/ (the Makefile makes it); it is
 * included here so that every build of the core (the extension, libmdscore,
 * the sanitizer, fuzz and edge builds) compiles it with its own flags,
 * through the same src/core/%.c rules as the rest.
 *
 *-------------------------------------------------------------------------
 */
#include "onnx_ml.pb-c.c"
