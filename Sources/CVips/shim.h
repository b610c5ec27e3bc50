#ifndef LIKENESS_CVIPS_SHIM_H
#define LIKENESS_CVIPS_SHIM_H
// Non-variadic wrappers over the libvips calls Likeness uses. Swift cannot call C variadic
// functions, and most of libvips takes its optional arguments as a NULL-terminated list.
#include <vips/vips.h>

static inline int lk_vips_start(const char *program) {
    if (VIPS_INIT(program) != 0) return -1;
    // Every operation here runs once on fresh inputs; the operation cache would only hold memory.
    vips_cache_set_max(0);
    return 0;
}

static inline const char *lk_vips_error(void) { return vips_error_buffer(); }
static inline void lk_vips_error_clear(void) { vips_error_clear(); }
static inline void lk_vips_unref(VipsImage *image) { g_object_unref(image); }
static inline void lk_vips_free(void *bytes) { g_free(bytes); }

static inline int lk_vips_width(VipsImage *image) { return vips_image_get_width(image); }
static inline int lk_vips_height(VipsImage *image) { return vips_image_get_height(image); }
static inline int lk_vips_bands(VipsImage *image) { return vips_image_get_bands(image); }

/// The loader libvips would pick for these bytes (by content, not by name), or NULL.
static inline const char *lk_vips_loader_for(const void *bytes, size_t length) {
    return vips_foreign_find_load_buffer(bytes, length);
}

/// The image's XMP packet (borrowed: valid while `image` lives), or NULL when it has none.
static inline const void *lk_vips_xmp(VipsImage *image, size_t *length) {
    const void *data = NULL;
    if (!vips_image_get_typeof(image, VIPS_META_XMP_NAME)) return NULL;
    if (vips_image_get_blob(image, VIPS_META_XMP_NAME, &data, length)) return NULL;
    return data;
}

/// Opens the header only: no pixel is decoded until the image is read. The caller keeps
/// `bytes` alive until the returned image is released.
static inline VipsImage *lk_vips_open(const void *bytes, size_t length) {
    return vips_image_new_from_buffer(bytes, length, "",
        "access", VIPS_ACCESS_SEQUENTIAL,
        "fail_on", VIPS_FAIL_ON_ERROR,
        NULL);
}

/// 8-bit, 3-band sRGB in memory, alpha flattened onto white: the one kind of image every later
/// step sees. Consumes nothing; the caller still owns `in`.
static inline VipsImage *lk_vips_normalise(VipsImage *in) {
    VipsImage *srgb = NULL, *flat = NULL, *cast = NULL, *out = NULL;
    if (vips_colourspace(in, &srgb, VIPS_INTERPRETATION_sRGB, NULL)) goto fail;
    if (vips_image_hasalpha(srgb)) {
        double white[3] = {255, 255, 255};
        VipsArrayDouble *background = vips_array_double_new(white, 3);
        int failed = vips_flatten(srgb, &flat, "background", background, NULL);
        vips_area_unref(VIPS_AREA(background));
        if (failed) goto fail;
    } else {
        flat = srgb; g_object_ref(flat);
    }
    if (vips_cast_uchar(flat, &cast, NULL)) goto fail;
    out = vips_image_copy_memory(cast);
fail:
    if (srgb) g_object_unref(srgb);
    if (flat) g_object_unref(flat);
    if (cast) g_object_unref(cast);
    return out;
}

/// Decodes every pixel, upright per EXIF orientation, normalised (see above).
static inline VipsImage *lk_vips_decode_rgb(VipsImage *lazy) {
    VipsImage *rotated = NULL, *out = NULL;
    if (vips_autorot(lazy, &rotated, NULL)) return NULL;
    out = lk_vips_normalise(rotated);
    g_object_unref(rotated);
    return out;
}

/// Decodes straight to a `width` x `height` thumbnail, centre-cropped to fill it, upright and
/// normalised. Streams the source (shrink-on-load where the format allows), so memory stays
/// near the output's size whatever the input's; truncated data is an error.
static inline VipsImage *lk_vips_thumbnail_cover(const void *bytes, size_t length, int width, int height) {
    VipsImage *thumbnail = NULL, *out = NULL;
    if (vips_thumbnail_buffer((void *)bytes, length, &thumbnail, width, "height", height,
                              "crop", VIPS_INTERESTING_CENTRE, "option_string", "fail_on=error", NULL)) return NULL;
    out = lk_vips_normalise(thumbnail);
    g_object_unref(thumbnail);
    return out;
}

/// Decodes to fit within `side` x `side` (never enlarged), upright and normalised: the whole
/// picture, as face detection needs it, at a bounded size whatever the source's.
static inline VipsImage *lk_vips_thumbnail_within(const void *bytes, size_t length, int side) {
    VipsImage *thumbnail = NULL, *out = NULL;
    if (vips_thumbnail_buffer((void *)bytes, length, &thumbnail, side, "height", side, "size", VIPS_SIZE_DOWN,
                              "option_string", "fail_on=error", NULL)) return NULL;
    out = lk_vips_normalise(thumbnail);
    g_object_unref(thumbnail);
    return out;
}

/// The first pixel of a normalised (in-memory) image, and the bytes from one row to the next.
static inline const unsigned char *lk_vips_memory_pixels(VipsImage *image, size_t *stride) {
    *stride = VIPS_IMAGE_SIZEOF_LINE(image);
    return VIPS_IMAGE_ADDR(image, 0, 0);
}

/// An 8-bit sRGB image copied from `width * height * 3` interleaved bytes.
static inline VipsImage *lk_vips_from_rgb(const void *bytes, int width, int height) {
    VipsImage *raw = vips_image_new_from_memory_copy(bytes, (size_t)width * height * 3, width, height, 3, VIPS_FORMAT_UCHAR);
    VipsImage *out = NULL;
    if (!raw) return NULL;
    vips_copy(raw, &out, "interpretation", VIPS_INTERPRETATION_sRGB, NULL);
    g_object_unref(raw);
    return out;
}

/// A linear gradient between two sRGB colours, horizontal or vertical, in memory.
static inline VipsImage *lk_vips_gradient(int width, int height, int vertical,
                                          const double from[3], const double to[3]) {
    VipsImage *ramp = NULL, *turned = NULL, *coloured = NULL, *cast = NULL, *tagged = NULL, *out = NULL;
    double scale[3] = {to[0] - from[0], to[1] - from[1], to[2] - from[2]};
    double offset[3] = {from[0], from[1], from[2]};
    if (vertical) {
        if (vips_grey(&ramp, height, width, NULL)) goto fail;
        if (vips_rot90(ramp, &turned, NULL)) goto fail;
    } else {
        if (vips_grey(&turned, width, height, NULL)) goto fail;
    }
    if (vips_linear(turned, &coloured, scale, offset, 3, NULL)) goto fail;
    if (vips_cast_uchar(coloured, &cast, NULL)) goto fail;
    if (vips_copy(cast, &tagged, "interpretation", VIPS_INTERPRETATION_sRGB, NULL)) goto fail;
    out = vips_image_copy_memory(tagged);
fail:
    if (ramp) g_object_unref(ramp);
    if (turned) g_object_unref(turned);
    if (coloured) g_object_unref(coloured);
    if (cast) g_object_unref(cast);
    if (tagged) g_object_unref(tagged);
    return out;
}

/// A solid RGBA block, for translucent panels.
static inline VipsImage *lk_vips_solid_rgba(int width, int height, const double rgba[4]) {
    VipsImage *black = NULL, *coloured = NULL, *cast = NULL, *out = NULL;
    double scale[4] = {1, 1, 1, 1};
    if (vips_black(&black, width, height, "bands", 4, NULL)) goto fail;
    if (vips_linear(black, &coloured, scale, (double *)rgba, 4, NULL)) goto fail;
    if (vips_cast_uchar(coloured, &cast, NULL)) goto fail;
    vips_copy(cast, &out, "interpretation", VIPS_INTERPRETATION_sRGB, NULL);
fail:
    if (black) g_object_unref(black);
    if (coloured) g_object_unref(coloured);
    if (cast) g_object_unref(cast);
    return out;
}

/// Draws in place; `image` must be a memory image owned by the caller.
static inline int lk_vips_fill_rect(VipsImage *image, const double ink[3], int left, int top, int width, int height) {
    return vips_draw_rect(image, (double *)ink, 3, left, top, width, height, "fill", TRUE, NULL);
}

static inline int lk_vips_fill_circle(VipsImage *image, const double ink[3], int cx, int cy, int radius) {
    return vips_draw_circle(image, (double *)ink, 3, cx, cy, radius, "fill", TRUE, NULL);
}

/// Pango markup rendered as RGBA at `dpi`, wrapped at `width`. (libvips's own fitting to a
/// height is not used: see `RasterImage.text`.)
///
/// The result is a copy in memory: the text operation's own output keeps the operation, and
/// with it a Pango layout, alive until that image is freed, on whatever thread. Copying and
/// dropping it here frees the layout now, under the caller's text lock.
static inline VipsImage *lk_vips_text(const char *markup, const char *font, int width, int dpi) {
    VipsImage *out = NULL;
    if (vips_text(&out, markup, "font", font, "width", width, "dpi", dpi, "rgba", TRUE, NULL)) return NULL;
    VipsImage *copy = vips_image_copy_memory(out);
    g_object_unref(out);
    return copy;
}

/// `overlay` over `base` at (x, y); the result keeps base's size and drops alpha.
static inline VipsImage *lk_vips_overlay(VipsImage *base, VipsImage *overlay, int x, int y) {
    VipsImage *composed = NULL, *flat = NULL, *out = NULL;
    if (vips_composite2(base, overlay, &composed, VIPS_BLEND_MODE_OVER, "x", x, "y", y, NULL)) goto fail;
    if (vips_image_hasalpha(composed)) {
        if (vips_flatten(composed, &flat, NULL)) goto fail;
    } else {
        flat = composed; g_object_ref(flat);
    }
    out = vips_image_copy_memory(flat);
fail:
    if (composed) g_object_unref(composed);
    if (flat) g_object_unref(flat);
    return out;
}

/// Mirrored left to right, in memory.
static inline VipsImage *lk_vips_mirror(VipsImage *in) {
    VipsImage *flipped = NULL, *out = NULL;
    if (vips_flip(in, &flipped, VIPS_DIRECTION_HORIZONTAL, NULL)) return NULL;
    out = lk_vips_normalise(flipped);
    g_object_unref(flipped);
    return out;
}

/// Grey, kept as three sRGB bands (every later step expects RGB).
static inline VipsImage *lk_vips_greyscale(VipsImage *in) {
    VipsImage *grey = NULL, *out = NULL;
    if (vips_colourspace(in, &grey, VIPS_INTERPRETATION_B_W, NULL)) return NULL;
    out = lk_vips_normalise(grey);
    g_object_unref(grey);
    return out;
}

/// Turned by `degrees` (counter-clockwise positive), the corners filled with white.
static inline VipsImage *lk_vips_rotate(VipsImage *in, double degrees) {
    VipsImage *turned = NULL, *out = NULL;
    double white[3] = {255, 255, 255};
    VipsArrayDouble *background = vips_array_double_new(white, 3);
    int failed = vips_rotate(in, &turned, -degrees, "background", background, NULL);
    vips_area_unref(VIPS_AREA(background));
    if (failed) return NULL;
    out = lk_vips_normalise(turned);
    g_object_unref(turned);
    return out;
}

/// Reads one pixel's bands into `values` (at most `capacity`); returns the band count or -1.
static inline int lk_vips_pixel(VipsImage *image, int x, int y, double *values, int capacity) {
    double *vector = NULL;
    int count = 0;
    if (vips_getpoint(image, &vector, &count, x, y, NULL)) return -1;
    for (int i = 0; i < count && i < capacity; i++) values[i] = vector[i];
    g_free(vector);
    return count;
}

/// Drops every metadata field: EXIF (camera, GPS, names, dates), XMP, IPTC, the ICC profile,
/// PNG text, the loader's notes. An image drawn from a photo inherits the photo's fields, and
/// none of them may ride out in it. Size, bands and format are not metadata and stay.
static inline void lk_vips_remove_metadata(VipsImage *image) {
    gchar **fields = vips_image_get_fields(image);
    for (int i = 0; fields[i] != NULL; i++) vips_image_remove(image, fields[i]);
    g_strfreev(fields);
}

/// Encodes JPEG, PNG or WebP (format 0, 1 or 2) with no metadata but `xmp`, written as the
/// file's XMP packet when given. `quality` applies to JPEG and WebP. (libvips 8.14 still adds a
/// minimal EXIF of its own to a JPEG: the pixel size and resolution.)
static inline int lk_vips_encode(VipsImage *in, int format, int quality, const char *xmp, size_t xmp_length,
                                 void **bytes, size_t *length) {
    VipsImage *tagged = NULL;
    int failed;
    if (vips_copy(in, &tagged, NULL)) return -1;
    lk_vips_remove_metadata(tagged);
    if (xmp && xmp_length > 0) vips_image_set_blob_copy(tagged, VIPS_META_XMP_NAME, xmp, xmp_length);
    switch (format) {
    case 0: failed = vips_jpegsave_buffer(tagged, bytes, length, "Q", quality, NULL); break;
    case 1: failed = vips_pngsave_buffer(tagged, bytes, length, NULL); break;
    default: failed = vips_webpsave_buffer(tagged, bytes, length, "Q", quality, NULL); break;
    }
    g_object_unref(tagged);
    return failed;
}

/// The picture in `bytes` again, upright and sRGB (alpha kept), as JPEG (format 0, at `quality`)
/// or PNG (1), with none of the source's metadata. Streamed: memory stays near the sizes of the
/// two files, not of the pixels; truncated data is an error.
static inline int lk_vips_reencode_clean(const void *bytes, size_t length, int format, int quality,
                                         void **out, size_t *out_length) {
    VipsImage *lazy = lk_vips_open(bytes, length), *upright = NULL, *srgb = NULL;
    int failed = -1;
    if (!lazy) return -1;
    if (vips_autorot(lazy, &upright, NULL)) goto done;
    if (vips_colourspace(upright, &srgb, VIPS_INTERPRETATION_sRGB, NULL)) goto done;
    lk_vips_remove_metadata(srgb);
    failed = format == 0 ? vips_jpegsave_buffer(srgb, out, out_length, "Q", quality, NULL)
                         : vips_pngsave_buffer(srgb, out, out_length, NULL);
done:
    g_object_unref(lazy);
    if (upright) g_object_unref(upright);
    if (srgb) g_object_unref(srgb);
    return failed;
}
#endif
