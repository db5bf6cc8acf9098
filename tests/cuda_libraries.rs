//! libtorch's CUDA half is loaded at run time, not linked: a build that has it must be able to
//! load it and every CUDA library it needs from where the binary looks, even on a machine
//! without a GPU (its own process, since loading it cannot be undone).

#[test]
fn a_cuda_build_loads_its_cuda_libraries_from_the_binarys_library_folders() {
    if !vistazo::config::libtorch_cuda() {
        return;
    }
    let maps = std::fs::read_to_string("/proc/self/maps").expect("maps");
    assert!(!maps.contains("libtorch_cuda"), "linked, not loaded");
    vistazo::clip::device::load_cuda_libraries().expect("the CUDA libraries load");
    let maps = std::fs::read_to_string("/proc/self/maps").expect("maps");
    for library in ["libtorch_cuda", "libc10_cuda", "libcublas", "libcudart"] {
        assert!(maps.contains(library), "{library} was not loaded");
    }
}
