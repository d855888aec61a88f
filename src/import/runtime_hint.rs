//! What names a function's runtime when `Runtime` cannot: the base of a container image (an
//! AWS base image, `public.ecr.aws/lambda/LANGUAGE:VERSION` or Docker Hub's
//! `amazon/aws-lambda-LANGUAGE:VERSION`; Lambda Developer Guide, "Working with Lambda
//! container images" — Lambda takes no `Runtime` for an image), found in the Dockerfile SAM
//! builds it from or in `ImageUri`; and the language of a custom runtime (`provided.al2023`)
//! in SAM's `Metadata.BuildMethod` (AWS SAM Developer Guide, "Building custom runtimes",
//! "Building Rust Lambda functions with Cargo Lambda", ".NET Native AOT").

/// The registries' prefixes of the AWS base images: `PREFIX` then `LANGUAGE:TAG`.
const BASE_IMAGE_PREFIXES: [&str; 2] = ["public.ecr.aws/lambda/", "amazon/aws-lambda-"];

/// The AWS runtime identifier of an AWS base image reference (`public.ecr.aws/lambda/nodejs:20`
/// is `nodejs20.x`), or `None` for another image or a tag without a version (`latest`).
pub fn runtime_of_base_image(reference: &str) -> Option<String> {
    let reference = reference.split('@').next()?;
    let rest = BASE_IMAGE_PREFIXES
        .iter()
        .find_map(|p| reference.strip_prefix(p))?;
    let (language, tag) = rest.split_once(':')?;
    // Tags carry an arch or a build date after the version: `3.12-arm64`, `3.12.2024.05.01`.
    let version = tag.split('-').next()?;
    let mut parts = version.split('.');
    let major = parts.next().filter(|m| m.parse::<u32>().is_ok());
    let minor = parts.next();
    Some(match (language, major) {
        ("python" | "ruby", Some(m)) => format!("{language}{m}.{}", minor?),
        ("nodejs", Some(m)) => format!("nodejs{m}.x"),
        ("java", Some(m)) if minor == Some("al2") => format!("java{m}.al2"),
        ("java" | "dotnet", Some(m)) => format!("{language}{m}"),
        ("go", Some("1")) => "go1.x".to_string(),
        ("provided", None) if matches!(version, "al2" | "al2023") => format!("provided.{version}"),
        _ => return None,
    })
}

/// The base image of the final stage of a Dockerfile and its line (from 1): the last `FROM`,
/// followed back through stage names (`FROM build AS final`). `Err` says why there is none:
/// no `FROM` at all, or a last `FROM` that names no image (Docker refuses both).
pub fn dockerfile_base(text: &str) -> Result<(usize, String), String> {
    let mut stages: Vec<(String, usize, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut words = line.split_whitespace();
        if !words.next().is_some_and(|w| w.eq_ignore_ascii_case("from")) {
            continue;
        }
        let mut words = words.skip_while(|w| w.starts_with("--"));
        let Some(image) = words.next() else {
            // A stage without a base: whatever follows cannot be read either.
            stages.push((String::new(), i + 1, String::new()));
            continue;
        };
        let alias = match (words.next(), words.next()) {
            (Some(as_), Some(name)) if as_.eq_ignore_ascii_case("as") => name.to_string(),
            _ => String::new(),
        };
        let (line_no, base) = stages
            .iter()
            .find(|(name, _, _)| !name.is_empty() && name == image)
            .map_or((i + 1, image.to_string()), |(_, l, b)| (*l, b.clone()));
        stages.push((alias, line_no, base));
    }
    match stages.pop() {
        None => Err("it has no FROM line".to_string()),
        Some((_, line, base)) if base.is_empty() => {
            Err(format!("its last FROM (line {line}) names no image"))
        }
        Some((_, line, base)) => Ok((line, base)),
    }
}

/// The runtime ID of a custom runtime on `os` (`al2`, `al2023`) built by SAM's
/// `BuildMethod`: the build methods that name a language lambda-perf measures.
pub fn custom_runtime_id(os: &str, build_method: &str) -> Option<String> {
    let language = match build_method {
        "rust-cargolambda" => "rust",
        "go1.x" => "go",
        "dotnet7" => "dotnet7-aot",
        "dotnet8" => "dotnet8-aot",
        _ => return None,
    };
    Some(format!("provided.{os}-{language}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_base_images_name_their_runtime() {
        for (image, id) in [
            ("public.ecr.aws/lambda/python:3.12", Some("python3.12")),
            (
                "public.ecr.aws/lambda/python:3.11-arm64",
                Some("python3.11"),
            ),
            (
                "public.ecr.aws/lambda/nodejs:20.2024.05.01.10",
                Some("nodejs20.x"),
            ),
            ("public.ecr.aws/lambda/java:21", Some("java21")),
            ("public.ecr.aws/lambda/java:8.al2", Some("java8.al2")),
            ("amazon/aws-lambda-dotnet:8", Some("dotnet8")),
            ("public.ecr.aws/lambda/ruby:3.2@sha256:ab", Some("ruby3.2")),
            ("public.ecr.aws/lambda/go:1", Some("go1.x")),
            (
                "public.ecr.aws/lambda/provided:al2023",
                Some("provided.al2023"),
            ),
            ("public.ecr.aws/lambda/python:latest", None),
            ("python:3.12-slim", None),
        ] {
            assert_eq!(runtime_of_base_image(image).as_deref(), id, "{image}");
        }
    }

    #[test]
    fn the_final_stage_of_a_dockerfile_gives_the_base() {
        let text = "# syntax=docker/dockerfile:1\nFROM --platform=linux/arm64 rust:1 AS build\n\
                    RUN cargo build\nFROM public.ecr.aws/lambda/nodejs:20 AS app\nCOPY . .\n\
                    from app\nCMD [\"app.handler\"]\n";
        assert_eq!(
            dockerfile_base(text),
            Ok((4, "public.ecr.aws/lambda/nodejs:20".to_string()))
        );
        assert_eq!(
            dockerfile_base("RUN x\n"),
            Err("it has no FROM line".to_string())
        );
        // A malformed final stage is not read as the stage before it.
        assert_eq!(
            dockerfile_base("FROM public.ecr.aws/lambda/python:3.12 AS build\nRUN x\nFROM\n"),
            Err("its last FROM (line 3) names no image".to_string())
        );
    }

    #[test]
    fn build_methods_name_the_language_of_a_custom_runtime() {
        assert_eq!(
            custom_runtime_id("al2023", "rust-cargolambda").as_deref(),
            Some("provided.al2023-rust")
        );
        assert_eq!(
            custom_runtime_id("al2", "go1.x").as_deref(),
            Some("provided.al2-go")
        );
        assert_eq!(custom_runtime_id("al2023", "makefile"), None);
    }
}
