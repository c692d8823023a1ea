//! The GPU canvas against the CPU reference: every golden design rendered by vello_hybrid
//! (`GpuRenderer::render_rgba`) and by vello_cpu (`cpu::rasterize`) at the golden size must
//! agree within a mean absolute difference of 2 levels per channel, with no structural
//! difference (no 8×8 block whose mean difference passes 24 levels). See `docs/gpu-canvas.md`.
//!
//! Runs on any adapter wgpu finds, a software one included (Mesa lavapipe on CI:
//! `mesa-vulkan-drivers` and `libvulkan1`). With no adapter at all the tests fail with that
//! hint rather than skip. On a mismatch both images are written under
//! `target/tmp/gpu-golden/` as `<case>.cpu.png` and `<case>.gpu.png`.

#![cfg(feature = "gpu")]

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use render::OutputSize;
use render::cpu;
use render::gpu::{GpuError, GpuRenderer};
use render::scene::{Affine, Brush, FillRule, Item, RasterImage, Rect, Rgba, Scene};
use vello_cpu::kurbo::Shape as _;

const MAX_MEAN: f64 = 2.0;

fn gpu() -> GpuRenderer {
    match GpuRenderer::new_headless() {
        Ok(gpu) => gpu,
        Err(e) => panic!("the GPU tests need an adapter: {e}"),
    }
}

fn out_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("gpu-golden")
}

fn px(img: &RasterImage, x: u32, y: u32) -> [u8; 4] {
    let i = ((y * img.width + x) * 4) as usize;
    [img.pixels[i], img.pixels[i + 1], img.pixels[i + 2], img.pixels[i + 3]]
}

fn rect_fill(rect: Rect, color: Rgba) -> Item {
    Item::Fill {
        path: rect.to_path(0.1),
        transform: Affine::IDENTITY,
        brush: Brush::Solid(color),
        rule: FillRule::NonZero,
    }
}

fn target_texture(gpu: &GpuRenderer, w: u32, h: u32) -> wgpu::Texture {
    gpu.device().create_texture(&wgpu::TextureDescriptor {
        label: Some("test canvas"),
        size: wgpu::Extent3d { width: w, height: h, depth_or_array_layers: 1 },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rgba8Unorm,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
        view_formats: &[],
    })
}

/// The renderer can move to a render thread.
const _: () = {
    const fn send<T: Send>() {}
    send::<GpuRenderer>();
};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[test]
fn gpu_matches_cpu_on_every_golden_case() {
    let mut gpu = gpu();
    let info = gpu.adapter_info().clone();
    println!(
        "adapter: {} ({:?}, {:?}, driver {} {})",
        info.name, info.backend, info.device_type, info.driver, info.driver_info
    );
    let cases = common::cases();
    assert!(!cases.is_empty(), "the golden set is empty");
    let renderer = common::renderer();
    let mut failures = Vec::new();
    let (mut worst, mut total_gpu, mut total_cpu, mut total_frame) =
        (0.0f64, Duration::ZERO, Duration::ZERO, Duration::ZERO);
    println!(
        "{:<28} {:>9} {:>8} {:>4} {:>6} {:>8} {:>10} {:>9}",
        "case", "size", "mean", "max", "blocks", "cpu ms", "gpu+read", "gpu frame"
    );
    for case in &cases {
        let scene = renderer.scene(&case.design, &case.assets).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let (w, h) =
            OutputSize::LongSide(common::GOLDEN_SIDE).resolve(case.design.format.width, case.design.format.height);
        let start = Instant::now();
        let reference = cpu::rasterize(&scene, w, h, false).unwrap_or_else(|e| panic!("{}: cpu: {e}", case.name));
        let cpu_time = start.elapsed();
        // The first frame uploads the images; the second is timed (images cached).
        let first = gpu.render_rgba(&scene, w, h, false).unwrap_or_else(|e| panic!("{}: gpu: {e}", case.name));
        let start = Instant::now();
        let image = gpu.render_rgba(&scene, w, h, false).unwrap_or_else(|e| panic!("{}: gpu: {e}", case.name));
        let gpu_time = start.elapsed();
        assert!(first == image, "{}: two GPU frames of the same scene differ", case.name);
        // The canvas case: into a texture, no read-back, waiting for the GPU to finish.
        let target = target_texture(&gpu, w, h);
        let view = target.create_view(&wgpu::TextureViewDescriptor::default());
        gpu.render_to_texture(&scene, &view, w, h, false).unwrap_or_else(|e| panic!("{}: gpu: {e}", case.name));
        let _ = gpu.device().poll(wgpu::PollType::wait_indefinitely());
        let start = Instant::now();
        gpu.render_to_texture(&scene, &view, w, h, false).unwrap_or_else(|e| panic!("{}: gpu: {e}", case.name));
        let _ = gpu.device().poll(wgpu::PollType::wait_indefinitely());
        let frame_time = start.elapsed();
        let d = common::diff(&reference, &image);
        println!(
            "{:<28} {:>9} {:>8.3} {:>4} {:>6} {:>8.1} {:>10.1} {:>9.1}",
            case.name,
            format!("{w}×{h}"),
            d.mean,
            d.max,
            d.structural_blocks,
            ms(cpu_time),
            ms(gpu_time),
            ms(frame_time)
        );
        total_frame += frame_time;
        worst = worst.max(d.mean);
        total_gpu += gpu_time;
        total_cpu += cpu_time;
        if d.mean > MAX_MEAN || d.structural_blocks > 0 {
            let dir = out_dir();
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(dir.join(format!("{}.cpu.png", case.name)), common::write_png(&reference));
            let _ = std::fs::write(dir.join(format!("{}.gpu.png", case.name)), common::write_png(&image));
            failures.push(format!("{}: {d:?} (images in {})", case.name, dir.display()));
        }
    }
    let n = cases.len() as u32;
    println!(
        "{} cases on {}: worst mean {worst:.3}; mean per frame: CPU {:.1} ms, GPU with read-back {:.1} ms, GPU frame {:.1} ms",
        cases.len(),
        info.name,
        ms(total_cpu / n),
        ms(total_gpu / n),
        ms(total_frame / n)
    );
    assert!(failures.is_empty(), "GPU and CPU differ (adapter {}):\n{}", info.name, failures.join("\n"));
}

#[test]
fn output_is_straight_rgba_over_a_transparent_clear() {
    let mut gpu = gpu();
    let mut scene = Scene::new(100.0, 100.0);
    scene.background = Some(Brush::Solid(Rgba::new(0, 0, 255, 255)));
    scene.items.push(rect_fill(Rect::new(0.0, 0.0, 50.0, 100.0), Rgba::new(255, 0, 0, 128)));
    let clear = gpu.render_rgba(&scene, 100, 100, true).expect("renders");
    let half = px(&clear, 10, 50);
    assert!(half[0] >= 253 && half[1] <= 2 && half[2] <= 2 && half[3].abs_diff(128) <= 1, "{half:?}");
    assert_eq!(px(&clear, 90, 50), [0, 0, 0, 0], "the background is left out when transparent");
    let opaque = gpu.render_rgba(&scene, 100, 100, false).expect("renders");
    assert_eq!(px(&opaque, 90, 50), [0, 0, 255, 255]);
    let mix = px(&opaque, 10, 50);
    assert!(mix[0].abs_diff(128) <= 2 && mix[2].abs_diff(127) <= 2 && mix[3] == 255, "{mix:?}");
    let reference = cpu::rasterize(&scene, 100, 100, true).expect("cpu");
    let d = common::diff(&reference, &clear);
    assert!(d.max <= 2, "{d:?}");
}

#[test]
fn sizes_past_the_device_limit_are_refused() {
    let mut gpu = gpu();
    let scene = Scene::new(10.0, 10.0);
    let max = gpu.max_side();
    assert_eq!(max, gpu.device().limits().max_texture_dimension_2d.min(65535));
    println!("largest side on {}: {max} px", gpu.adapter_info().name);
    for (w, h) in [(0, 10), (10, 0), (max + 1, 10)] {
        match gpu.render_rgba(&scene, w, h, false) {
            Err(e @ GpuError::BadSize { .. }) => assert!(e.to_string().contains(&max.to_string()), "{e}"),
            other => panic!("{w}×{h}: {other:?}"),
        }
    }
}

/// A smooth horizontal gradient image, `w`×`h`, half transparent on the right.
fn gradient_image(w: u32, h: u32) -> Arc<RasterImage> {
    let mut pixels = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            let t = f64::from(x) / f64::from(w);
            let a = if x > w / 2 { 160 } else { 255 };
            pixels.extend_from_slice(&[(255.0 * t) as u8, (200.0 * (1.0 - t)) as u8, (y * 255 / h) as u8, a]);
        }
    }
    Arc::new(RasterImage::new(w, h, pixels).unwrap_or_else(|| panic!("{w}×{h} pixels")))
}

#[test]
fn images_are_cached_between_frames_and_oversized_ones_shrink_to_fit_the_atlas() {
    let mut gpu = gpu();
    let small = gradient_image(300, 200);
    // Wider than an atlas page (4096) and drawn at half size (no mip level): box-filtered by 2
    // before upload, and scaled back by the paint transform.
    let wide = gradient_image(5000, 40);
    let (w, h) = (2600, 400);
    let mut scene = Scene::new(f64::from(w), f64::from(h));
    scene.background = Some(Brush::Solid(Rgba::WHITE));
    let mut image = |image: &Arc<RasterImage>, transform: Affine, opacity: f32| {
        scene.items.push(Item::Image { image: Arc::clone(image), transform, opacity });
    };
    image(&small, Affine::translate((20.0, 20.0)), 1.0);
    image(&small, Affine::translate((400.0, 40.0)) * Affine::rotate(0.3) * Affine::scale(0.6), 0.5);
    // A tenth of its size: paint_scene samples a mip level, a separate image.
    image(&small, Affine::translate((700.0, 40.0)) * Affine::scale(0.1), 1.0);
    image(&wide, Affine::translate((10.0, 300.0)) * Affine::scale(0.5), 1.0);
    let reference = cpu::rasterize(&scene, w, h, false).expect("cpu");
    let a = gpu.render_rgba(&scene, w, h, false).expect("gpu");
    let b = gpu.render_rgba(&scene, w, h, false).expect("gpu");
    assert!(a == b, "a cached frame differs from the first");
    let d = common::diff(&reference, &a);
    println!("images: {d:?}");
    assert!(d.mean <= MAX_MEAN && d.structural_blocks == 0, "{d:?}");
    let (cpu_px, gpu_px) = (px(&reference, 1800, 310), px(&a, 1800, 310));
    assert!(cpu_px != [255; 4] && cpu_px.iter().zip(gpu_px).all(|(c, g)| c.abs_diff(g) <= 2), "{cpu_px:?} {gpu_px:?}");
    assert_eq!(gpu.resident_images(), 3, "each image (and mip level) is uploaded once");
    // A frame without the images frees them; drawing them again uploads them again.
    let empty = Scene::new(f64::from(w), f64::from(h));
    gpu.render_rgba(&empty, w, h, true).expect("gpu");
    assert_eq!(gpu.resident_images(), 0);
    let c = gpu.render_rgba(&scene, w, h, false).expect("gpu");
    assert!(a == c, "a re-uploaded frame differs");
}

#[test]
fn render_to_texture_checks_its_target_and_draws_bgra() {
    let mut gpu = gpu();
    let mut scene = Scene::new(64.0, 32.0);
    scene.background = Some(Brush::Solid(Rgba::new(10, 20, 30, 255)));
    let texture = |format, w, h| {
        gpu.device().create_texture(&wgpu::TextureDescriptor {
            label: None,
            size: wgpu::Extent3d { width: w, height: h, depth_or_array_layers: 1 },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        })
    };
    let srgb = texture(wgpu::TextureFormat::Rgba8UnormSrgb, 64, 32);
    let wrong_size = texture(wgpu::TextureFormat::Rgba8Unorm, 60, 32);
    let bgra = texture(wgpu::TextureFormat::Bgra8Unorm, 64, 32);
    let view = |t: &wgpu::Texture| t.create_view(&wgpu::TextureViewDescriptor::default());
    let err = gpu.render_to_texture(&scene, &view(&srgb), 64, 32, false).expect_err("sRGB target");
    assert!(matches!(err, GpuError::Target(_)) && err.to_string().contains("sRGB"), "{err}");
    let err = gpu.render_to_texture(&scene, &view(&wrong_size), 64, 32, false).expect_err("size mismatch");
    assert!(matches!(err, GpuError::Target(_)), "{err}");
    gpu.render_to_texture(&scene, &view(&bgra), 64, 32, false).expect("draws into Bgra8Unorm");
    // Read the BGRA texture back and check the channel order.
    let buffer = gpu.device().create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: 256 * 32,
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    });
    let mut encoder = gpu.device().create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
    encoder.copy_texture_to_buffer(
        bgra.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &buffer,
            layout: wgpu::TexelCopyBufferLayout { offset: 0, bytes_per_row: Some(256), rows_per_image: None },
        },
        wgpu::Extent3d { width: 64, height: 32, depth_or_array_layers: 1 },
    );
    gpu.queue().submit([encoder.finish()]);
    buffer.slice(..).map_async(wgpu::MapMode::Read, |r| r.expect("maps"));
    gpu.device().poll(wgpu::PollType::wait_indefinitely()).expect("polls");
    let first = buffer.slice(..).get_mapped_range()[..4].to_vec();
    assert_eq!(first, [30, 20, 10, 255], "BGRA order");
}

#[test]
fn outputs_wider_than_4096_px_keep_their_layers() {
    // vello_hybrid's default caps layer textures at 4096 px; the renderer lifts the cap to the
    // device's limit.
    let mut gpu = gpu();
    let (w, h) = (4600, 64);
    if gpu.max_side() < w {
        println!("skipped: {} draws at most {} px", gpu.adapter_info().name, gpu.max_side());
        return;
    }
    let mut scene = Scene::new(f64::from(w), f64::from(h));
    scene.background = Some(Brush::Solid(Rgba::WHITE));
    scene.items.push(Item::PushGroup { opacity: 0.5, clip: None });
    scene.items.push(rect_fill(Rect::new(10.0, 10.0, 4590.0, 54.0), Rgba::new(200, 30, 90, 255)));
    scene.items.push(Item::PopGroup);
    let reference = cpu::rasterize(&scene, w, h, false).expect("cpu");
    let image = gpu.render_rgba(&scene, w, h, false).expect("gpu");
    let d = common::diff(&reference, &image);
    assert!(d.mean <= MAX_MEAN && d.structural_blocks == 0, "{d:?}");
    assert_eq!(px(&image, 4500, 30), px(&reference, 4500, 30));
}

/// Renders the named golden cases on `gpu` and checks them against the CPU.
fn check_cases(gpu: &mut GpuRenderer, names: &[&str]) {
    let renderer = common::renderer();
    for case in common::cases().iter().filter(|c| names.contains(&c.name)) {
        let scene = renderer.scene(&case.design, &case.assets).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let (w, h) =
            OutputSize::LongSide(common::GOLDEN_SIDE).resolve(case.design.format.width, case.design.format.height);
        let reference = cpu::rasterize(&scene, w, h, false).unwrap_or_else(|e| panic!("{}: cpu: {e}", case.name));
        let image = gpu.render_rgba(&scene, w, h, false).unwrap_or_else(|e| panic!("{}: gpu: {e}", case.name));
        let d = common::diff(&reference, &image);
        println!("{} on {:?}: {d:?}", case.name, gpu.adapter_info().backend);
        assert!(
            d.mean <= MAX_MEAN && d.structural_blocks == 0,
            "{} on {:?}: {d:?}",
            case.name,
            gpu.adapter_info().backend
        );
    }
}

#[test]
fn the_gl_backend_draws_images_and_emoji_too() {
    // wgpu's GL backend needs the atlas padded to two layers (see `GpuRenderer::from_device`).
    // GL is optional: a machine with Vulkan only skips this.
    let mut gpu = match GpuRenderer::new_headless_on(wgpu::Backends::GL) {
        Ok(gpu) => gpu,
        Err(e) => {
            println!("skipped, no GL adapter: {e}");
            return;
        }
    };
    check_cases(&mut gpu, &["image_cover", "image_transparent_png", "text_emoji"]);
}

#[test]
fn an_abandoned_canvas_frees_its_frame_uploads() {
    let mut gpu = gpu();
    let case = common::cases().into_iter().find(|c| c.name == "text_emoji").expect("case");
    let scene = common::renderer().scene(&case.design, &case.assets).expect("scene");
    for _ in 0..3 {
        let mut canvas = gpu.canvas(480, 480, render::gpu::OFFSCREEN_FORMAT).expect("canvas");
        cpu::paint_scene(&mut canvas, &scene, cpu::view_transform(&scene, 480, 480), false);
        assert_eq!(canvas.dropped_images(), 0);
        drop(canvas);
        assert_eq!(gpu.resident_images(), 0, "bitmap-glyph tiles outlived their frame");
    }
    check_cases(&mut gpu, &["text_emoji"]);
    assert_eq!(gpu.resident_images(), 0);
}

#[test]
fn images_spread_over_several_atlas_pages() {
    // Three 2100² images take a 4096² atlas page each; the small one then lands in the first
    // page's free space after the atlas array has grown (one submission per upload keeps the
    // write and the growth copy in order).
    let mut gpu = gpu();
    let big: Vec<_> = (0..3).map(|_| gradient_image(2100, 2100)).collect();
    let small = gradient_image(100, 100);
    let mut scene = Scene::new(400.0, 400.0);
    scene.background = Some(Brush::Solid(Rgba::WHITE));
    for (i, image) in big.iter().enumerate() {
        let transform = Affine::translate((10.0 + 130.0 * i as f64, 10.0)) * Affine::scale(0.05);
        scene.items.push(Item::Image { image: Arc::clone(image), transform, opacity: 1.0 });
    }
    scene.items.push(Item::Image { image: small, transform: Affine::translate((10.0, 200.0)), opacity: 1.0 });
    let reference = cpu::rasterize(&scene, 400, 400, false).expect("cpu");
    for frame in 0..2 {
        let image = gpu.render_rgba(&scene, 400, 400, false).expect("gpu");
        let d = common::diff(&reference, &image);
        println!("atlas pages, frame {frame}: {d:?}");
        assert!(d.mean <= MAX_MEAN && d.structural_blocks == 0, "frame {frame}: {d:?}");
    }
}
