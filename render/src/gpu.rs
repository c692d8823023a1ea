//! The interactive GPU canvas: the same scene on vello_hybrid/wgpu. (Being written.)
