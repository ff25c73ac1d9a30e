package scenarios

import (
	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RevisionAnnotation is set on the pod template of the new revision when
// the scenario does not name a new image.
const RevisionAnnotation = "canarysim.dev/revision"

// defaultReplicas is the replica count of a generated target.
const defaultReplicas = 2

// target finds and decodes the target Deployment, or generates one from the
// Canary's targetRef.
func (l *loader) target(scen document, src *ObjectSource, embedded []document, c *flaggerv1.Canary) *appsv1.Deployment {
	var d *document
	if src != nil {
		d = l.source(scen, *src, "spec.target")
	} else {
		d = l.pickEmbedded(scen, embedded, "Deployment", "spec.target")
	}
	if c == nil {
		return nil
	}
	if d == nil {
		return defaultTarget(c)
	}
	dep := &appsv1.Deployment{}
	before := len(l.errs)
	l.decodeObject(d, dep)
	if len(l.errs) > before {
		return nil
	}
	at := func(path, format string, args ...any) { d.at(&l.errs, path, format, args...) }
	if dep.Namespace == "" {
		dep.Namespace = c.Namespace
	}
	if dep.Name != c.Spec.TargetRef.Name || dep.Namespace != c.Namespace {
		at("metadata.name", "Deployment %s/%s is not the Canary's target %s/%s", dep.Namespace, dep.Name, c.Namespace, c.Spec.TargetRef.Name)
	}
	if len(dep.Spec.Template.Spec.Containers) == 0 {
		at("spec.template.spec.containers", "at least one container is required")
	}
	if dep.Spec.Selector == nil || len(dep.Spec.Selector.MatchLabels) == 0 {
		at("spec.selector.matchLabels", "required (Flagger derives the primary's selector from it)")
	}
	if dep.Spec.Replicas == nil {
		r := int32(1)
		dep.Spec.Replicas = &r
	}
	return dep
}

// defaultTarget is the Deployment a Canary's targetRef names, with one
// container and the app label Flagger selects on.
func defaultTarget(c *flaggerv1.Canary) *appsv1.Deployment {
	name := c.Spec.TargetRef.Name
	labels := map[string]string{"app": name}
	replicas := int32(defaultReplicas)
	port := c.Spec.Service.Port
	if port == 0 {
		port = 8080
	}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.Namespace, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:  name,
					Image: name + ":stable",
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: port}},
				}}},
			},
		},
	}
}

// newTemplate is the target's pod template after the revision: the new
// image when given, else the same template with RevisionAnnotation set.
func newTemplate(target *appsv1.Deployment, image string) corev1.PodTemplateSpec {
	t := *target.Spec.Template.DeepCopy()
	if image != "" && len(t.Spec.Containers) > 0 {
		t.Spec.Containers[0].Image = image
		return t
	}
	if t.Annotations == nil {
		t.Annotations = map[string]string{}
	}
	t.Annotations[RevisionAnnotation] = "2"
	if len(t.Spec.Containers) > 0 && t.Spec.Containers[0].Image == target.Name+":stable" {
		t.Spec.Containers[0].Image = target.Name + ":canary"
	}
	return t
}
